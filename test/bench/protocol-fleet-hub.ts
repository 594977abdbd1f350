/**
 * The real hub for protocol-fleet.ts: `flotilla-hub serve` as its own process (compiled hub/dist, or
 * the sources through tsx when not built), configured through its HTTP API with the bootstrap admin
 * token, plus what the benchmark reads of it: /proc CPU and RSS, and its store (WAL reader).
 */
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUB_NODE_FLAGS, protocol, store as hubStore } from '@flotilla/hub';
import { freePort } from '../harness/ports.js';
import { startNats, type NatsServer } from '../harness/nats.js';
import { pidRss, spawnServer, type Spawned } from '../harness/process.js';
import { waitFor } from '../harness/wait.js';

export const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';

export interface HubProcess {
  proc: Spawned;
  dir: string;
  http: string;
  grpcPort: number;
  admin: string;
  caFile?: string;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  webhook(repo: string): Promise<number>;
  /** utime + stime of the hub process, in ms. */
  cpuMs(): number;
  rss(): number;
  stop(): Promise<void>;
}

export interface HubStartOptions {
  dir: string;
  tls: boolean;
  transport: 'grpc' | 'nats';
  natsUrl?: string;
  logLevel?: string;
  /** Writes a V8 CPU profile of the hub into this directory when it stops. */
  cpuProfileDir?: string;
}

const CLK_TCK = 100;

/** The repository root, from test/bench (sources) or test/dist/bench (compiled). */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'hub', 'package.json'))) {
    if (dirname(d) === d) throw new Error('protocol-fleet: cannot find the repository root');
    d = dirname(d);
  }
  return d;
}

/**
 * CPU time of a process (every thread: the main one, V8's GC helpers, libuv's pool), in ms with
 * nanosecond resolution from the scheduler's per-thread accounting. /proc/<pid>/stat counts in ticks of
 * 10 ms, too coarse for a round of status reports that costs the hub 50–100 ms.
 */
export function procCpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    if (ns > 0) return ns / 1e6;
  } catch {
    // No schedstat (a kernel without CONFIG_SCHEDSTATS): ticks, below.
  }
  return procTicksMs(pid);
}

function procTicksMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function hubEntry(): string[] {
  const built = join(repoRoot(), 'hub/dist/main.js');
  return existsSync(built)
    ? [built]
    : ['--conditions=@flotilla/source', '--import', 'tsx', join(repoRoot(), 'hub/src/main.ts')];
}

/**
 * nats-server (JetStream, JWT mode) trusting the hub's operator, as `flotilla-hub nats init` writes
 * it into the hub's data dir; agents register with the register-only credentials it also writes.
 */
export async function startNatsForHub(hubDir: string): Promise<{ nats: NatsServer; registerCreds: string }> {
  mkdirSync(hubDir, { recursive: true });
  const out = execFileSync(process.execPath, [...hubEntry(), 'nats', 'init', '--data-dir', hubDir], {
    encoding: 'utf8',
  });
  const files = JSON.parse(out) as { serverConfig: string; registerCreds: string };
  const nats = await startNats({ args: ['-c', files.serverConfig] });
  return { nats, registerCreds: files.registerCreds };
}

export async function startHubProcess(o: HubStartOptions): Promise<HubProcess> {
  mkdirSync(o.dir, { recursive: true });
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const entry = hubEntry();
  const args = [
    ...(o.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfileDir}`] : []),
    // The hub as deployed (deploy/hub/Dockerfile), unless FLOTILLA_BENCH_HUB_NODE_FLAGS says otherwise:
    // flags for the hub alone (e.g. "--max-semi-space-size=32"; "-" for none), to measure what one does.
    ...(process.env.FLOTILLA_BENCH_HUB_NODE_FLAGS === undefined
      ? HUB_NODE_FLAGS
      : process.env.FLOTILLA_BENCH_HUB_NODE_FLAGS.split(' ').filter((f) => f && f !== '-')),
    ...entry,
    'serve',
    '--data-dir',
    o.dir,
    '--http',
    `127.0.0.1:${httpPort}`,
    '--grpc',
    `127.0.0.1:${grpcPort}`,
    '--log-level',
    o.logLevel ?? 'warn',
    ...(o.tls ? [] : ['--insecure']),
    ...(o.transport === 'nats' ? ['--transport', 'nats', '--nats-url', o.natsUrl ?? ''] : []),
  ];
  const proc = spawnServer(process.execPath, args, { name: 'flotilla-hub', logFile: join(o.dir, 'hub.log') });
  const http = `http://127.0.0.1:${httpPort}`;
  await waitFor(async () => (await fetch(`${http}/readyz`).catch(() => undefined))?.ok === true, {
    what: 'flotilla-hub /readyz',
    timeoutMs: 60_000,
    abort: () => (proc.exited() ? `${proc.exited()}\n${proc.tail()}` : undefined),
  });
  const admin = readFileSync(join(o.dir, 'admin.token'), 'utf8').trim();
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${http}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    proc,
    dir: o.dir,
    http,
    grpcPort,
    admin,
    ...(o.tls ? { caFile: join(o.dir, 'tls', 'ca.crt') } : {}),
    api,
    async webhook(repo) {
      // A generic delivery: signed timestamp, and a unique body so rounds within a second all fetch.
      const raw = JSON.stringify({ ref: 'refs/heads/main', delivery: randomUUID() });
      const ts = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${http}/api/v1/webhooks/${repo}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-flotilla-timestamp': ts,
          'x-flotilla-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${raw}`).digest('hex')}`,
        },
        body: raw,
      });
      await res.arrayBuffer();
      return res.status;
    },
    cpuMs: () => procCpuMs(proc.pid),
    rss: () => pidRss(proc.pid) ?? 0,
    stop: () => proc.stop(10_000),
  };
}

/** Repo, environment (every cluster labelled fleet=sim) and target, through the hub's HTTP API. */
export async function configureFleet(hub: HubProcess, gitUrl: string, extraTargets: string[] = []): Promise<void> {
  await hub.api('POST', '/repos', {
    name: 'config',
    url: gitUrl,
    pollIntervalSeconds: 3600,
    webhookSecret: WEBHOOK_SECRET,
  });
  await hub.api('POST', '/environments', { name: 'prod', repo: 'config', branch: 'main', selector: 'fleet=sim' });
  await hub.api('POST', '/targets', { name: 'web', repo: 'config', path: 'apps/web', environments: ['prod'] });
  for (const t of extraTargets) {
    await hub.api('POST', '/targets', { name: t, repo: 'config', path: `apps/${t}`, environments: ['prod'] });
  }
}

/** Registers clusters through POST /api/v1/clusters (operator role): one-time tokens, `concurrency` at a time. */
export async function registerClusters(
  hub: HubProcess,
  names: string[],
  concurrency = 8,
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      const r = await hub.api<{ token: string }>('POST', '/clusters', {
        name,
        labels: { fleet: 'sim' },
        ttlSeconds: 7 * 24 * 3600,
      });
      tokens.set(name, r.token);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tokens;
}

/** Reads the hub's store from this process (SQLite WAL allows a reader beside the hub). */
export function withStore<T>(dir: string, fn: (s: hubStore.Store) => T): T {
  const s = hubStore.openStore(join(dir, 'hub.db'));
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/**
 * Adds to `times` the clusters whose deployment settled Ready at `revision`, with when (the hub's
 * Applied events after `afterId`); returns the last event id read.
 */
export function readyAt(s: hubStore.Store, revision: string, afterId: number, times: Map<string, number>): number {
  let last = afterId;
  for (;;) {
    const page = s.events.list({ kind: 'Applied', afterId: last, limit: 10_000 });
    for (const e of page) {
      last = e.id;
      if (e.cluster && e.payload.revision === revision && e.payload.state === 'Ready') {
        times.set(e.cluster, Date.parse(e.at));
      }
    }
    if (page.length < 10_000) return last;
  }
}

/**
 * Trades tokens for credentials with the hub's own `register` on its store, as the Register call
 * does, and leaves each credential where the agent keeps it: for fleets too large to register over
 * the wire in reasonable time (each Register also triggers a full reconcile on the hub; see RESULTS.md).
 */
export function registerDirect(hubDir: string, agentsDir: string, tokens: Map<string, string>): void {
  withStore(hubDir, (s) => {
    for (const [cluster, token] of tokens) {
      const { credential } = protocol.register(s, { token, clusterName: cluster });
      mkdirSync(join(agentsDir, cluster), { recursive: true });
      writeFileSync(join(agentsDir, cluster, 'credential'), `${credential}\n`, { mode: 0o600 });
    }
  });
}

/**
 * Creates clusters with their tokens straight in the hub's store (what POST /clusters does, without
 * the reconcile each call triggers), for fleets of many thousands; the caller then creates one more
 * through the API so that the hub reconciles once for all.
 */
export function createClustersDirect(hubDir: string, names: string[]): Map<string, string> {
  const tokens = new Map<string, string>();
  withStore(hubDir, (s) =>
    s.transaction(() => {
      for (const name of names) {
        s.clusters.create({ name, labels: { fleet: 'sim' } });
        const { token } = protocol.mintRegistrationToken(s, {
          cluster: name,
          labels: { fleet: 'sim' },
          ttlSeconds: 7 * 24 * 3600,
          createdBy: 'bench',
        });
        tokens.set(name, token);
      }
    }),
  );
  return tokens;
}
