import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { store as hubStore } from '@flotilla/hub';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, locateBinaries } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { freePort } from '../../harness/ports.js';
import { spawnServer, type Spawned } from '../../harness/process.js';
import { waitFor } from '../../harness/wait.js';

const clusters = inject('kubeClusters');
const NODE_TS = ['--conditions=@flotilla/source', '--import', 'tsx'];
const ns = `e2e-${Math.random().toString(16).slice(2, 8)}`;
const app = (color: string) => ({
  'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
  'apps/web/configmap.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: ${ns}\ndata:\n  color: ${color}\n`,
});

describe('end to end over gRPC: hub process, two agents on two clusters, Git over HTTP', () => {
  let git: GitServer;
  let dir: string;
  let hub: Spawned;
  let grpcPort: number;
  const agents = new Map<string, Spawned>();
  const bins = locateBinaries();

  const withStore = <T>(fn: (s: hubStore.Store) => T): T => {
    const s = hubStore.openStore(join(dir, 'hub', 'hub.db'));
    try {
      return fn(s);
    } finally {
      s.close();
    }
  };
  const color = async (name: string) => {
    const core = kubeClient(clusterByName(clusters, name)).makeApiClient(CoreV1Api);
    return core
      .readNamespacedConfigMap({ name: 'web', namespace: ns })
      .then((cm) => cm.data?.color)
      .catch(() => undefined);
  };
  const startAgent = (name: string, token?: string) => {
    const c = clusterByName(clusters, name);
    const args = ['run', '--hub', `127.0.0.1:${grpcPort}`, '--cluster', name, '--kubeconfig', c.kubeconfig];
    args.push('--state-dir', join(dir, `agent-${name}`), ...(token ? ['--token', token] : []));
    agents.set(
      name,
      spawnServer(process.execPath, [...NODE_TS, join(REPO_ROOT, 'agent/src/cli/main.ts'), ...args], {
        name: `agent[${name}]`,
        logFile: join(dir, `agent-${name}.log`),
        cwd: REPO_ROOT,
      }),
    );
  };

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'README.md': 'fleet config\n' });
    await git.commitFiles('config', app('blue'), { branch: 'dev' });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-'));
    mkdirSync(join(dir, 'hub'));
    withStore((s) => {
      s.repos.put({ name: 'config', url: git.url('config'), pollIntervalSeconds: 1 });
      s.groups.put({ name: 'dev', selector: 'env=dev' });
      s.environments.put({ name: 'dev', repo: 'config', branch: 'dev', group: 'dev' });
      s.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
    });
    const httpPort = await freePort();
    grpcPort = await freePort();
    hub = spawnServer(process.execPath, [...NODE_TS, join(REPO_ROOT, 'hub/src/main.ts'), 'serve'], {
      name: 'flotilla-hub',
      logFile: join(dir, 'hub.log'),
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        FLOTILLA_DATA_DIR: join(dir, 'hub'),
        FLOTILLA_HTTP_ADDR: `127.0.0.1:${httpPort}`,
        FLOTILLA_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
        FLOTILLA_HELM: bins.helm,
        FLOTILLA_KUSTOMIZE: bins.kustomize,
      },
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok, {
      what: 'hub ready',
      timeoutMs: 30_000,
      abort: () => (hub.exited() ? `${hub.exited()}\n${hub.tail()}` : undefined),
    });
    for (const name of ['alpha', 'beta']) {
      const token = execFileSync(
        process.execPath,
        [...NODE_TS, join(REPO_ROOT, 'hub/src/main.ts'), 'tokens', 'create', '--cluster', name, '--label', 'env=dev'],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, FLOTILLA_DATA_DIR: join(dir, 'hub') },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ).trim();
      startAgent(name, token);
    }
  });

  afterAll(async () => {
    for (const a of agents.values()) await a.stop();
    await hub?.stop();
    await git?.stop();
    for (const c of clusters) {
      await kubeClient(c)
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: ns })
        .catch(() => undefined);
    }
    if (process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('registers both agents, and both clusters converge on the commit, Ready on the hub', async () => {
    await expect
      .poll(() => Promise.all([color('alpha'), color('beta')]), { timeout: 60_000, interval: 500 })
      .toEqual(['blue', 'blue']);
    await expect
      .poll(() => withStore((s) => s.deployments.list().map((d) => `${d.cluster}:${d.state}`)), { timeout: 30_000 })
      .toEqual(['alpha:Ready', 'beta:Ready']);
  });

  it('rolls out a new commit to both clusters', async () => {
    await git.commitFiles('config', app('green'), { branch: 'dev' });
    await expect
      .poll(() => Promise.all([color('alpha'), color('beta')]), { timeout: 60_000, interval: 500 })
      .toEqual(['green', 'green']);
  });

  it('a restarted agent whose hub has nothing new exchanges hashes only, fetching no bytes', async () => {
    const { readFileSync } = await import('node:fs');
    const log = join(dir, 'agent-alpha.log');
    const fetchedBefore = readFileSync(log, 'utf8').split('bundleFetched').length;
    await agents.get('alpha')?.stop();
    startAgent('alpha');
    await expect
      .poll(() => readFileSync(log, 'utf8').split('"msg":"unchanged"').length - 1, { timeout: 30_000 })
      .toBe(1);
    expect(readFileSync(log, 'utf8').split('bundleFetched').length).toBe(fetchedBefore);
    expect(await color('alpha')).toBe('green');
  });

  it('an agent offline while a commit lands converges after it reconnects', async () => {
    await agents.get('beta')?.stop();
    await git.commitFiles('config', app('red'), { branch: 'dev' });
    await expect.poll(() => color('alpha'), { timeout: 60_000, interval: 500 }).toBe('red');
    expect(await color('beta')).toBe('green');
    startAgent('beta'); // the stored credential, no token
    await expect.poll(() => color('beta'), { timeout: 60_000, interval: 500 }).toBe('red');
  });
});
