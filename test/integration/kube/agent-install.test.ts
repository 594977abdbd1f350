import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { NODE_TS, hubProcess, type HubProcess } from '../../harness/hub.js';
import { spawnServer, type Spawned } from '../../harness/process.js';
import { waitFor } from '../../harness/wait.js';

const clusters = inject('kubeClusters');
const NS = `flotilla-install-${Math.random().toString(16).slice(2, 8)}`;

/**
 * `fleet agent install` into a real (simulated) cluster. kwok runs no containers, so this test plays
 * the kubelet: once the install has applied the manifests, it starts the agent process with what the
 * pod would get (the Deployment's environment, the bootstrap Secret's token and CA), and the
 * install's wait ends when that agent has registered with the hub.
 */
describe('fleet agent install --context', () => {
  const cluster = clusterByName(clusters, 'alpha');
  let dir: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let httpPort: number;
  let grpcPort: number;
  let env: NodeJS.ProcessEnv;

  const fleet = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'cli/bin/run.js'), ...args],
        { cwd: REPO_ROOT, env },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'cli/dist/commands')))
      throw new Error('the CLI is not built: run `npx tsc -b` first');
    dir = mkdtempSync(join(tmpdir(), 'flotilla-install-'));
    hub = await hubProcess({ dataDir: join(dir, 'hub'), logFile: join(dir, 'hub.log') });
    ({ httpPort, grpcPort } = hub);
    await hub.start();
    await waitFor(() => existsSync(join(dir, 'hub', 'admin.token')), { what: 'admin token', timeoutMs: 10_000 });
    env = {
      ...process.env,
      FLOTILLA_CONFIG: join(dir, 'fleet.json'),
      FLOTILLA_HUB_URL: `http://127.0.0.1:${httpPort}`,
      FLOTILLA_TOKEN: readFileSync(join(dir, 'hub', 'admin.token'), 'utf8').trim(),
    };
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    await kubeClient(cluster)
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: NS })
      .catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'applies the agent manifests with a fresh token and waits until the agent has registered',
    { timeout: 180_000 },
    async () => {
      const install = fleet([
        'agent',
        'install',
        '--context',
        'alpha',
        '--kubeconfig',
        cluster.kubeconfig,
        '--cluster',
        'alpha',
        '--label',
        'env=install-test',
        '--namespace',
        NS,
        '--timeout',
        '2m',
      ]);

      // The kubelet's part: what the pod would run with, read from the cluster.
      const core = kubeClient(cluster).makeApiClient(CoreV1Api);
      const apps = kubeClient(cluster).makeApiClient(AppsV1Api);
      const secret = await waitFor(
        () => core.readNamespacedSecret({ name: 'flotilla-agent-bootstrap', namespace: NS }).catch(() => undefined),
        { what: 'the bootstrap Secret applied by the install', timeoutMs: 60_000 },
      );
      const deployment = await waitFor(
        () => apps.readNamespacedDeployment({ name: 'flotilla-agent', namespace: NS }).catch(() => undefined),
        { what: 'the agent Deployment applied by the install', timeoutMs: 60_000 },
      );
      const container = deployment.spec?.template.spec?.containers[0];
      const podEnv = Object.fromEntries(
        (container?.env ?? []).filter((e) => e.value).map((e) => [e.name, e.value ?? '']),
      );
      expect(podEnv).toMatchObject({ FLOTILLA_HUB: `127.0.0.1:${grpcPort}`, FLOTILLA_CLUSTER: 'alpha' });
      const data = secret.data ?? {};
      const token = Buffer.from(data.token ?? '', 'base64').toString('utf8');
      expect(token).toMatch(/^flreg_/);
      const caFile = join(dir, 'hub-ca.crt');
      writeFileSync(caFile, Buffer.from(data['ca.crt'] ?? '', 'base64'));
      agent = spawnServer(
        process.execPath,
        [
          ...NODE_TS,
          join(REPO_ROOT, 'agent/src/cli/main.ts'),
          'run',
          '--hub',
          podEnv.FLOTILLA_HUB ?? '',
          '--cluster',
          podEnv.FLOTILLA_CLUSTER ?? '',
          '--hub-ca',
          caFile,
          '--kubeconfig',
          cluster.kubeconfig,
          '--namespace',
          NS,
          '--state-dir',
          join(dir, 'agent'),
        ],
        {
          name: 'agent[alpha]',
          logFile: join(dir, 'agent.log'),
          cwd: REPO_ROOT,
          env: { ...process.env, FLOTILLA_REGISTRATION_TOKEN: token },
        },
      );

      const result = await install;
      expect(result, `${result.stdout}\n${result.stderr}\nagent:\n${agent.tail()}`).toMatchObject({ code: 0 });
      expect(result.stdout).toMatch(/alpha/);
      const list = await fleet(['clusters', 'get', 'alpha', '-o', 'json']);
      const alpha = JSON.parse(list.stdout) as {
        registered: boolean;
        condition: string;
        labels: Record<string, string>;
      };
      expect(alpha).toMatchObject({ registered: true, condition: 'Connected', labels: { env: 'install-test' } });
    },
  );

  it('refuses an unknown context before minting anything', async () => {
    const r = await fleet([
      'agent',
      'install',
      '--context',
      'nowhere',
      '--kubeconfig',
      cluster.kubeconfig,
      '--cluster',
      'ghost',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/kube context "nowhere" is not in the kubeconfig/);
    const got = await fleet(['clusters', 'get', 'ghost']);
    expect(got.code).toBe(3);
  });
});
