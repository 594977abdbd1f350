import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { store as hubStore } from '@flotilla/hub';
import { AGENT_MAIN, HUB_MAIN, NODE_TS, hubProcess, type HubApi } from '../../harness/hub.js';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import type { KubeClusterInfo } from '../../harness/kube/fleet.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { spawnServer, type Spawned } from '../../harness/process.js';
import { deployToDev } from './reliability-support.js';

/**
 * The shared shape of the end-to-end suites (one per transport): a Git server with a `dev` branch, a
 * hub process configured through its API with repo/group/environment/targets, agent processes on
 * the simulated clusters, and what the tests read back (a ConfigMap's color, the hub's deployments).
 */
export { NODE_TS };

export function appFiles(ns: string, color: string): Record<string, string> {
  return {
    'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
    'apps/web/configmap.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: ${ns}\ndata:\n  color: ${color}\n`,
  };
}

export interface E2eWorld {
  dir: string;
  hubDir: string;
  git: GitServer;
  ns: string;
  httpPort: number;
  grpcPort: number;
  /** Opens the hub's store for a moment to read it (WAL: safe beside the running hub). */
  withStore<T>(fn: (s: hubStore.Store) => T): T;
  /** The hub's HTTP API as admin (once the hub has started). */
  api: HubApi;
  /** `flotilla-hub ...args` against the hub's data directory; its stdout. */
  hubCli(...args: string[]): string;
  /**
   * Starts the hub process with extra `serve` flags, stopping the one running first (a restart). The
   * first start also configures it through its API, as a user would: deployToDev with the targets.
   */
  startHub(args: string[]): Promise<Spawned>;
  /** Stops the hub process (its agents go on alone) until the next startHub. */
  stopHub(): Promise<void>;
  /** A ConfigMap `web`'s color on a cluster, or undefined. */
  color(cluster: string): Promise<string | undefined>;
  /** Starts an agent process on a cluster with `run` flags (its log: `<dir>/agent-<name>.log`). */
  startAgent(name: string, args: string[]): Spawned;
  /**
   * Mints a registration token for the cluster (labels env=dev and `labels`), and starts its agent
   * dialing this hub over gRPC with the hub's CA: `namespace` for its inventories, `extra` flags.
   */
  joinAgent(name: string, o?: { labels?: string[]; namespace?: string; extra?: string[] }): Spawned;
  stopAgent(name: string): Promise<void>;
  agentLog(name: string): string;
  stop(): Promise<void>;
}

export async function e2eWorld(
  dir: string,
  clusters: KubeClusterInfo[],
  ns: string,
  o: { targets?: string[] } = {},
): Promise<E2eWorld> {
  const git = await startGitServer();
  await git.createRepo('config');
  await git.commitFiles('config', { 'README.md': 'fleet config\n' });
  await git.commitFiles('config', appFiles(ns, 'blue'), { branch: 'dev' });
  const hubDir = join(dir, 'hub');
  mkdirSync(hubDir, { recursive: true });
  const hub = await hubProcess({ dataDir: hubDir, logFile: join(dir, 'hub.log') });
  const agents = new Map<string, Spawned>();
  const withStore = <T>(fn: (s: hubStore.Store) => T): T => {
    const s = hubStore.openStore(join(hubDir, 'hub.db'));
    try {
      return fn(s);
    } finally {
      s.close();
    }
  };
  let configured = false;
  const world: E2eWorld = {
    dir,
    hubDir,
    git,
    ns,
    httpPort: hub.httpPort,
    grpcPort: hub.grpcPort,
    withStore,
    api: hub.api,
    hubCli: (...args) =>
      execFileSync(process.execPath, [...NODE_TS, HUB_MAIN, ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, FLOTILLA_DATA_DIR: hubDir },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    async startHub(args) {
      const started = await hub.start(args);
      if (!configured) {
        await deployToDev(hub.api, git.url('config'), o.targets);
        configured = true;
      }
      return started;
    },
    stopHub: () => hub.stop(),
    async color(name) {
      const core = kubeClient(clusterByName(clusters, name)).makeApiClient(CoreV1Api);
      return core
        .readNamespacedConfigMap({ name: 'web', namespace: ns })
        .then((cm) => cm.data?.color)
        .catch(() => undefined);
    },
    startAgent(name, args) {
      if (agents.get(name)?.exited() === undefined && agents.has(name)) {
        throw new Error(`agent ${name} is still running: stopAgent first`);
      }
      const c = clusterByName(clusters, name);
      const all = ['run', '--cluster', name, '--kubeconfig', c.kubeconfig, '--state-dir', join(dir, `agent-${name}`)];
      const p = spawnServer(process.execPath, [...NODE_TS, AGENT_MAIN, ...all, ...args], {
        name: `agent[${name}]`,
        logFile: join(dir, `agent-${name}.log`),
        cwd: REPO_ROOT,
      });
      agents.set(name, p);
      return p;
    },
    joinAgent(name, o = {}) {
      const labels = (o.labels ?? []).flatMap((l) => ['--label', l]);
      const token = world.hubCli('tokens', 'create', '--cluster', name, '--label', 'env=dev', ...labels).trim();
      const hub = ['--hub', `127.0.0.1:${world.grpcPort}`, '--hub-ca', join(hubDir, 'tls', 'ca.crt')];
      const namespace = o.namespace ? ['--namespace', o.namespace] : [];
      return world.startAgent(name, [...hub, ...namespace, '--token', token, ...(o.extra ?? [])]);
    },
    async stopAgent(name) {
      await agents.get(name)?.stop();
    },
    agentLog: (name) => readFileSync(join(dir, `agent-${name}.log`), 'utf8'),
    async stop() {
      for (const p of agents.values()) await p.stop();
      await hub.stop();
      await git.stop();
      for (const c of clusters) {
        await kubeClient(c)
          .makeApiClient(CoreV1Api)
          .deleteNamespace({ name: ns })
          .catch(() => undefined);
      }
    },
  };
  return world;
}
