import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { store as hubStore } from '@flotilla/hub';
import { AGENT_MAIN, HUB_MAIN, NODE_TS, hubProcess, type HubApi } from '../../harness/hub.js';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import type { KubeClusterInfo } from '../../harness/kube/fleet.js';
import { spawnServer, type Spawned } from '../../harness/process.js';

/**
 * A hub process on fixed ports (so it can be killed and restarted in place) and agent processes
 * whose hub address and kubeconfig a test chooses: through a TCP proxy it can cut or slow down.
 */
export interface FaultWorld {
  hubDir: string;
  grpcPort: number;
  httpPort: number;
  hub(): Spawned;
  startHub(): Promise<void>;
  /** SIGKILL, no chance to clean up; resolves once the process is gone. */
  killHub(): Promise<void>;
  /** Opens the hub's store for a moment to read it (WAL: safe beside the running hub). */
  withStore<T>(fn: (s: hubStore.Store) => T): T;
  /** A one-time registration token for a cluster (with env=dev). */
  token(cluster: string): string;
  /** The hub's HTTP API as admin (once the hub has started). */
  api: HubApi;
  startAgent(name: string, o: { hub: string; kubeconfig?: string; token?: string }): Spawned;
  stopAgent(name: string): Promise<void>;
  agentLog(name: string): string;
  /** A copy of a cluster's kubeconfig whose server is `server` (a proxy in front of the apiserver). */
  kubeconfigVia(name: string, server: string): string;
  stop(): Promise<void>;
}

export async function faultWorld(
  dir: string,
  clusters: KubeClusterInfo[],
  o: { staleAfterSeconds?: number } = {},
): Promise<FaultWorld> {
  const hubDir = join(dir, 'hub');
  mkdirSync(hubDir, { recursive: true });
  const hub = await hubProcess({
    dataDir: hubDir,
    logFile: join(dir, 'hub.log'),
    env: { FLOTILLA_STALE_AFTER: String(o.staleAfterSeconds ?? 20) },
  });
  const { httpPort, grpcPort } = hub;
  const agents = new Map<string, Spawned>();
  const withStore = <T>(fn: (s: hubStore.Store) => T): T => {
    const s = hubStore.openStore(join(hubDir, 'hub.db'));
    try {
      return fn(s);
    } finally {
      s.close();
    }
  };
  const world: FaultWorld = {
    hubDir,
    grpcPort,
    httpPort,
    hub: () => hub.proc,
    async startHub() {
      await hub.start();
    },
    killHub: () => hub.kill('SIGKILL'),
    withStore,
    token: (cluster) =>
      execFileSync(
        process.execPath,
        [...NODE_TS, HUB_MAIN, 'tokens', 'create', '--cluster', cluster, '--label', 'env=dev'],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, FLOTILLA_DATA_DIR: hubDir },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ).trim(),
    api: hub.api,
    startAgent(name, o) {
      const c = clusterByName(clusters, name);
      const args = ['run', '--hub', o.hub, '--cluster', name, '--kubeconfig', o.kubeconfig ?? c.kubeconfig];
      args.push('--hub-ca', join(hubDir, 'tls', 'ca.crt'), '--state-dir', join(dir, `agent-${name}`));
      if (o.token) args.push('--token', o.token);
      const p = spawnServer(process.execPath, [...NODE_TS, AGENT_MAIN, ...args], {
        name: `agent[${name}]`,
        logFile: join(dir, `agent-${name}.log`),
        cwd: REPO_ROOT,
      });
      agents.set(name, p);
      return p;
    },
    async stopAgent(name) {
      await agents.get(name)?.stop();
    },
    agentLog: (name) => readFileSync(join(dir, `agent-${name}.log`), 'utf8'),
    kubeconfigVia(name, server) {
      const c = clusterByName(clusters, name);
      const text = readFileSync(c.kubeconfig, 'utf8');
      if (!text.includes(c.server)) throw new Error(`kubeconfig of ${name} does not name its server ${c.server}`);
      const file = join(dir, `kubeconfig-${name}-via-proxy`);
      writeFileSync(file, text.split(c.server).join(server));
      return file;
    },
    async stop() {
      for (const p of agents.values()) await p.stop();
      await hub.stop();
    },
  };
  return world;
}

/**
 * The configuration the kube suites deploy, made through the running hub's API as a user would: repo
 * `config` (polled every 5 s, the shortest interval the API allows), group and environment `dev`
 * (env=dev, branch dev) and the targets, each at `apps/<name>` (by default `web`).
 */
export async function deployToDev(api: HubApi, repoUrl: string, targets: string[] = ['web']): Promise<void> {
  await api('/api/v1/repos', 'POST', { name: 'config', url: repoUrl, pollIntervalSeconds: 5 });
  await api('/api/v1/groups/dev', 'PUT', { selector: 'env=dev' });
  await api('/api/v1/environments', 'POST', { name: 'dev', repo: 'config', branch: 'dev', group: 'dev' });
  for (const name of targets) {
    await api('/api/v1/targets', 'POST', { name, repo: 'config', path: `apps/${name}`, environments: ['dev'] });
  }
}

/** A ConfigMap's data on a cluster (admin access), or undefined when it does not exist. */
export async function configMapData(
  clusters: KubeClusterInfo[],
  cluster: string,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const core = kubeClient(clusterByName(clusters, cluster)).makeApiClient(CoreV1Api);
  return core
    .readNamespacedConfigMap({ name, namespace })
    .then((cm) => cm.data ?? {})
    .catch(() => undefined);
}

/** Names of the ConfigMaps in a namespace whose name starts with `prefix`. */
export async function configMapNames(clusters: KubeClusterInfo[], cluster: string, namespace: string, prefix: string) {
  const core = kubeClient(clusterByName(clusters, cluster)).makeApiClient(CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace }).catch(() => ({ items: [] }));
  return list.items
    .map((c) => c.metadata?.name ?? '')
    .filter((n) => n.startsWith(prefix))
    .sort();
}
