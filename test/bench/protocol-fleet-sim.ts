/**
 * One simulator process of protocol-fleet.ts: many real agent sessions (the agent package's
 * HubConnection / NatsHubConnection, unchanged) whose cluster side is a MemoryCluster. Driven by its
 * parent over IPC; reports counters, its RSS, and when each cluster received a revision.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  AppliedStateFile,
  HubConnection,
  NatsHubConnection,
  type AgentSession,
  type Bundle,
  type DeploymentReport,
  type HubConnectionOptions,
} from '@flotilla/agent';
import { MemoryCluster } from '../harness/memory-cluster.js';

export interface SimAgent {
  cluster: string;
  token?: string;
}

export type SimCommand =
  | {
      type: 'start';
      transport: 'grpc' | 'nats';
      /** host:port (gRPC) or nats://host:port. */
      address: string;
      /** PEM file of the hub's CA; none means plaintext. */
      caFile?: string;
      registerCredsFile?: string;
      dir: string;
      agents: SimAgent[];
      /** Sessions started per second (0: all at once). */
      rampPerSecond: number;
    }
  | { type: 'stop' }
  | { type: 'burst'; perAgent: number; tag: string }
  | { type: 'applied'; revision: string };

export interface SimProgress {
  type: 'progress';
  started: number;
  connected: number;
  registered: number;
  unchanged: number;
  fetched: number;
  fetchedBytes: number;
  disconnects: number;
  lastError?: string;
  /** Why connections ended, by message (cluster names and times taken out), with counts. */
  errors: Record<string, number>;
  rss: number;
}

type Session = AgentSession & { report(r: DeploymentReport): void };

/** A cluster held in memory that remembers when each revision arrived. */
class TimedCluster extends MemoryCluster {
  readonly arrivedAt = new Map<string, number>();
  override set(bundle: Bundle) {
    if (bundle.revision) this.arrivedAt.set(bundle.revision, Date.now());
    return super.set(bundle);
  }
}

const sessions: { s: Session; sink: TimedCluster; cluster: string; stateFile: string; running: Promise<void> }[] = [];
const counts = {
  started: 0,
  connected: 0,
  registered: 0,
  unchanged: 0,
  fetched: 0,
  fetchedBytes: 0,
  disconnects: 0,
  lastError: undefined as string | undefined,
};
const live = new Set<string>();
const errors: Record<string, number> = {};
const errorKind = (e: unknown) =>
  String(e)
    .replace(/sim-\d+/g, 'sim-N')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T')
    .slice(0, 120);

function onEvent(cluster: string) {
  return (event: string, detail?: Record<string, unknown>) => {
    if (event === 'connected') {
      if (!live.has(cluster)) counts.connected++;
      live.add(cluster);
    } else if (event === 'disconnected') {
      if (live.delete(cluster)) counts.connected--;
      counts.disconnects++;
      counts.lastError = String(detail?.error ?? '');
      const kind = errorKind(detail?.error);
      errors[kind] = (errors[kind] ?? 0) + 1;
    } else if (event === 'registered') counts.registered++;
    else if (event === 'unchanged') counts.unchanged++;
    else if (event === 'bundleFetched') {
      counts.fetched++;
      counts.fetchedBytes += Number(detail?.bytes ?? 0);
    } else if (event === 'desiredFailed') counts.lastError = String(detail?.error ?? '');
  };
}

/**
 * gRPC channel security for simulated agents: one TLS context shared by the process (the CA is the
 * same for all), but a local subchannel pool per channel so that every agent keeps its own HTTP/2
 * connection, as separate agents do. (With grpc-js's global pool, equal credentials would make all
 * sessions of a process share one connection.)
 */
function grpcSecurity(caFile: string | undefined): NonNullable<HubConnectionOptions['security']> {
  const creds = caFile ? grpc.credentials.createSsl(readFileSync(caFile)) : grpc.credentials.createInsecure();
  return {
    credentials: () => Promise.resolve(creds),
    channelOptions: () => ({ 'grpc.use_local_subchannel_pool': 1 }),
    csr: () => undefined,
    issued: () => undefined,
    explain: (err) => err,
  };
}

function start(c: Extract<SimCommand, { type: 'start' }>) {
  const security = c.transport === 'grpc' ? grpcSecurity(c.caFile) : undefined;
  const stateFile = (a: SimAgent) => join(c.dir, a.cluster, 'desired.json');
  const make = (a: SimAgent, sink: TimedCluster): Session => {
    const base = {
      clusterName: a.cluster,
      credentialFile: join(c.dir, a.cluster, 'credential'),
      stateFile: stateFile(a),
      ...(a.token ? { token: a.token } : {}),
      onEvent: onEvent(a.cluster),
    };
    return c.transport === 'grpc'
      ? new HubConnection({ ...base, address: c.address, security: security! }, sink)
      : new NatsHubConnection(
          { ...base, servers: c.address, ...(c.registerCredsFile ? { registerCredsFile: c.registerCredsFile } : {}) },
          sink,
        );
  };
  const launch = (a: SimAgent) => {
    const sink = new TimedCluster();
    const s = make(a, sink);
    sessions.push({ s, sink, cluster: a.cluster, stateFile: stateFile(a), running: s.run() });
    counts.started++;
  };
  if (c.rampPerSecond <= 0) {
    for (const a of c.agents) launch(a);
    return;
  }
  let i = 0;
  const perTick = Math.max(1, Math.round(c.rampPerSecond / 20));
  const timer = setInterval(() => {
    for (let k = 0; k < perTick && i < c.agents.length; k++) launch(c.agents[i++]!);
    if (i >= c.agents.length) clearInterval(timer);
  }, 50);
}

/** The bundles a session's state file says it applied (read once: a burst sends on every round). */
const held = new Map<string, string[]>();
function heldBundles(stateFile: string): string[] {
  if (!held.has(stateFile)) {
    const st = new AppliedStateFile(stateFile, () => undefined).load();
    held.set(stateFile, (st?.refs ?? []).map((r) => r.deployment).sort());
  }
  return held.get(stateFile)!;
}

/**
 * With `perAgent` 1, every session reports each bundle it holds once, tagged (reported together: the
 * session sends them as one message). With more, `perAgent` reports of its first bundle,
 * alternating NotReady / Ready, the last tagged.
 */
function burst(perAgent: number, tag: string) {
  for (const { s, sink, stateFile } of sessions) {
    // A restarted simulator's cluster starts empty while its session still holds the bundles: its
    // state file says which (its hello no longer lists bundles that its applied generation names).
    const bundles = sink.deployments().length > 0 ? [...sink.deployments()].sort() : heldBundles(stateFile);
    const report = (deployment: string, state: 'Ready' | 'NotReady', message: string) => {
      const digest = sink.applied.get(deployment)?.digest;
      // Every object of the bundle, as an agent reports them; NotReady holds the first one back.
      const objects = sink.report(deployment)?.objects ?? [];
      s.report({
        deployment,
        ...(digest ? { digest } : {}),
        state,
        message,
        objects:
          state === 'Ready' || objects.length === 0
            ? objects
            : [
                { ...objects[0]!, health: 'InProgress', state: 'NotReady', message: 'Available: 0/1 replicas' },
                ...objects.slice(1),
              ],
        drift: [],
        observedAt: Date.now(),
      });
    };
    if (perAgent === 1) {
      for (const deployment of bundles) report(deployment, 'Ready', tag);
      continue;
    }
    const deployment = bundles[0];
    if (!deployment) continue;
    for (let i = 0; i < perAgent; i++) {
      const last = i === perAgent - 1;
      report(deployment, last || i % 2 === 1 ? 'Ready' : 'NotReady', last ? tag : `report ${i}`);
    }
  }
}

function progress(): SimProgress {
  return { type: 'progress', ...counts, errors, rss: process.memoryUsage().rss };
}

const send = (m: unknown) => {
  if (process.connected) process.send?.(m);
};
process.on('disconnect', () => process.exit(0));
process.on('message', (m: SimCommand) => {
  void (async () => {
    if (m.type === 'start') start(m);
    else if (m.type === 'burst') {
      burst(m.perAgent, m.tag);
      send({ type: 'burstSent' });
    } else if (m.type === 'applied') {
      send({
        type: 'appliedTimes',
        times: sessions.map((x) => x.sink.arrivedAt.get(m.revision)).filter((t) => t !== undefined),
      });
    } else if (m.type === 'stop') {
      await Promise.all(sessions.map((x) => x.s.stop()));
      await Promise.race([Promise.all(sessions.map((x) => x.running)), new Promise((r) => setTimeout(r, 5000))]);
      send({ ...progress(), type: 'stopped' });
      process.exit(0);
    }
  })();
});
setInterval(() => send(progress()), 500);
send({ type: 'ready' });
