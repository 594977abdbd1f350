import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { AGENT_MAIN, NODE_TS, hubProcess, type HubProcess } from '../../harness/hub.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { spawnServer, type Spawned } from '../../harness/process.js';
import { waitFor } from '../../harness/wait.js';

const suffix = Math.random().toString(16).slice(2, 8);
const NS = `proc-app-${suffix}`;
const AGENT_NS = `proc-agent-${suffix}`;
const CLUSTER = `proc-${suffix}`;

/**
 * Issue #19, item 8: the README's recipe for running the agent as a process against a kube context
 * (no container runtime: a simulated cluster), end to end. `fleet clusters register` prints the
 * command line; run as printed (the context and state directory filled in), the agent registers
 * over TLS pinned by the CA hash, deploys its target, and logs no DEP0123 (an IP address as the TLS
 * server name), which every agent dialling the hub by IP logged before.
 */
describe('flotilla-agent run as a process, as `fleet clusters register` prints it', () => {
  const cluster = clusterByName(inject('kubeClusters'), 'alpha');
  const core = kubeClient(cluster).makeApiClient(CoreV1Api);
  let dir: string;
  let git: GitServer;
  let hub: HubProcess;
  let agent: Spawned | undefined;
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
  const ok = async (args: string[]) => {
    const r = await fleet(args);
    expect(r, `fleet ${args.join(' ')}`).toMatchObject({ code: 0 });
    return r.stdout;
  };

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'cli/dist/commands')))
      throw new Error('the CLI is not built: run `npx tsc -b` first');
    dir = mkdtempSync(join(tmpdir(), 'flotilla-agent-process-'));
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/web/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
      'apps/web/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: ${NS}\ndata:\n  from: git\n`,
    });
    hub = await hubProcess({ dataDir: join(dir, 'hub'), logFile: join(dir, 'hub.log') });
    await hub.start();
    await waitFor(() => existsSync(join(dir, 'hub', 'admin.token')), { what: 'admin token', timeoutMs: 10_000 });
    env = {
      ...process.env,
      FLOTILLA_CONFIG: join(dir, 'fleet.json'),
      FLOTILLA_HUB_URL: hub.url,
      FLOTILLA_TOKEN: readFileSync(join(dir, 'hub', 'admin.token'), 'utf8').trim(),
    };
    await ok(['repos', 'add', 'config', git.url('config'), '--poll', '1h']);
    await ok([
      'environments',
      'create',
      `env-${suffix}`,
      '--repo',
      'config',
      '-b',
      'main',
      '--selector',
      `proc=${suffix}`,
    ]);
    await ok(['targets', 'add', `web-${suffix}`, '--repo', 'config', '--path', 'apps/web', '-e', `env-${suffix}`]);
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    await git?.stop();
    for (const name of [NS, AGENT_NS]) await core.deleteNamespace({ name }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('registers with the printed command line, deploys, and logs no TLS warning', { timeout: 180_000 }, async () => {
    const printed = await ok(['clusters', 'register', CLUSTER, '--label', `proc=${suffix}`]);
    const line = /^ {2}flotilla-agent run (.*)\\\n\s+(.*)$/m.exec(printed);
    expect(line, printed).not.toBeNull();
    const args = `${line?.[1]} ${line?.[2]}`
      .replace('~/.kube/config', cluster.kubeconfig)
      .replace('<context>', cluster.name)
      .replace(`<a directory for ${CLUSTER}>`, join(dir, 'agent'))
      .split(/\s+/)
      .filter(Boolean);
    expect(args).toEqual(expect.arrayContaining(['--hub', `127.0.0.1:${hub.grpcPort}`, '--hub-ca-hash']));
    expect(args.join(' ')).not.toMatch(/[<>]/);
    // Its own namespace for inventories: the cluster is shared with other suites.
    agent = spawnServer(process.execPath, [...NODE_TS, AGENT_MAIN, 'run', ...args, '--namespace', AGENT_NS], {
      name: 'agent[process]',
      logFile: join(dir, 'agent.log'),
      cwd: REPO_ROOT,
    });
    const running = agent;
    await waitFor(
      async () => (await core.readNamespacedConfigMap({ name: 'web', namespace: NS }).catch(() => undefined))?.data,
      { what: 'the target deployed by the agent', timeoutMs: 120_000, abort: () => running.exited() },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent:\n${running.tail(30)}\nhub:\n${hub.proc.tail(30)}`);
    });
    const got = JSON.parse(await ok(['clusters', 'get', CLUSTER, '-o', 'json'])) as { condition: string };
    expect(got.condition).toBe('Connected');
    const log = running.output();
    expect(log).toMatch(/"msg":"registered"/);
    expect(log).not.toMatch(/DEP0123|DeprecationWarning|TLS ServerName/);
  });
});
