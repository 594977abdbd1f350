import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubConnection, NatsHubConnection, type AgentSession, type BundleSink } from '@flotilla/agent';
import { protocol, type store as hubStore } from '@flotilla/hub';
import { startNats, type NatsOptions, type NatsServer } from './nats.js';

export type TransportName = 'grpc' | 'nats';

export interface AgentSpec {
  cluster: string;
  /** The agent's state directory: credential, desired state, NATS creds. */
  dir: string;
  sink: BundleSink;
  token?: string;
  /** Dial this port on 127.0.0.1 instead of the server's (a byte-counting proxy in front of it). */
  dialPort?: number;
  onEvent?: (event: string, detail?: Record<string, unknown>) => void;
}

/**
 * One transport, hub side and agent side, on real loopback sockets: the same cases run against each
 * (test/integration/transport-conformance.test.ts) and the benchmarks drive simulated agents with it.
 */
export interface TransportFixture {
  readonly name: TransportName;
  /** For test titles: the transport and how it is secured. */
  readonly label: string;
  /** Starts the hub's side of the transport on a store (and the NATS server, first time). */
  startHub(store: hubStore.Store, o?: { heartbeatSeconds?: number }): Promise<void>;
  /** Tells the hub's side that desired state changed (after a reconcile). */
  notify(cluster?: string): Promise<void>;
  /** A real agent session for this transport; call `run()` to connect. */
  agent(spec: AgentSpec): AgentSession;
  /** What the hub's API does after revoking or removing a cluster: its agent is cut off and refused. */
  disconnect(cluster: string): void;
  /** Restarts what carries the messages: the hub's gRPC listener on its port, or the NATS server with its store. */
  restartTransport(): Promise<void>;
  stop(): Promise<void>;
}

const quick = { random: () => 0 };

export function grpcFixture(): TransportFixture & { readonly port: number } {
  let hub: protocol.GrpcHub | undefined;
  let port = 0;
  let start: (() => Promise<void>) | undefined;
  return {
    name: 'grpc',
    label: 'grpc',
    get port() {
      return port;
    },
    async startHub(store, o = {}) {
      start = async () => {
        hub = await protocol.startGrpcServer({ store, address: `127.0.0.1:${port}`, ...o });
        port = hub.port;
      };
      await start();
    },
    notify(cluster) {
      hub?.notify(cluster);
      return Promise.resolve();
    },
    disconnect(cluster) {
      hub?.disconnect(cluster);
    },
    agent: (s) =>
      new HubConnection(
        {
          address: `127.0.0.1:${s.dialPort ?? port}`,
          clusterName: s.cluster,
          credentialFile: join(s.dir, 'credential'),
          stateFile: join(s.dir, 'desired.json'),
          ...(s.token ? { token: s.token } : {}),
          ...(s.onEvent ? { onEvent: s.onEvent } : {}),
          ...quick,
        },
        s.sink,
      ),
    async restartTransport() {
      await hub?.stop();
      await start?.();
    },
    async stop() {
      await hub?.stop();
    },
  };
}

export interface NatsFixtureOptions {
  /** Prepares the NATS server's configuration and the hub's NATS options for a store (JWT mode). */
  secure?: (dir: string) => Promise<{
    server: NatsOptions;
    hub: Partial<protocol.NatsServerOptions>;
    agent: { registerCredsFile?: string };
  }>;
  dir: string;
}

export function natsFixture(fo: NatsFixtureOptions): TransportFixture & { readonly nats: NatsServer } {
  let nats: NatsServer | undefined;
  let hub: protocol.NatsHub | undefined;
  let agentExtra: { registerCredsFile?: string } = {};
  return {
    name: 'nats',
    label: fo.secure ? 'nats' : 'nats (auth none)',
    get nats() {
      if (!nats) throw new Error('the NATS fixture has no server yet: call startHub first');
      return nats;
    },
    async startHub(store, o = {}) {
      const secured = fo.secure ? await fo.secure(fo.dir) : undefined;
      nats ??= await startNats(secured?.server ?? {});
      agentExtra = secured?.agent ?? {};
      hub = await protocol.startNatsServer({ store, servers: nats.url, ...secured?.hub, ...o });
    },
    async notify(cluster) {
      await hub?.notify(cluster);
    },
    disconnect(cluster) {
      hub?.disconnect(cluster);
    },
    agent: (s) =>
      new NatsHubConnection(
        {
          servers: s.dialPort ? `nats://127.0.0.1:${s.dialPort}` : (nats?.url ?? ''),
          clusterName: s.cluster,
          credentialFile: join(s.dir, 'credential'),
          stateFile: join(s.dir, 'desired.json'),
          ...(s.token ? { token: s.token } : {}),
          ...(s.onEvent ? { onEvent: s.onEvent } : {}),
          ...agentExtra,
          ...quick,
        },
        s.sink,
      ),
    async restartTransport() {
      await nats?.restart();
    },
    async stop() {
      await hub?.stop();
      await nats?.stop();
    },
  };
}

/**
 * nats-server in JWT (operator) mode trusting a hub identity made in `dir`: the hub signs its own
 * user, a register-only user for first starts, and one user per cluster at registration.
 */
export function natsJwtSetup(dir: string): ReturnType<NonNullable<NatsFixtureOptions['secure']>> {
  const natsDir = join(dir, 'nats-auth');
  mkdirSync(natsDir, { recursive: true });
  const authority = protocol.NatsAuthority.loadOrCreate(join(natsDir, 'identity.json'));
  const conf = join(natsDir, 'server.conf');
  writeFileSync(conf, authority.serverConfig(join(natsDir, 'operator.jwt')));
  const registerCredsFile = join(natsDir, 'register.creds');
  writeFileSync(registerCredsFile, authority.registrationCreds(), { mode: 0o600 });
  return Promise.resolve({
    server: { args: ['-c', conf] },
    hub: { authority, connectOptions: authority.hubConnectOptions(), revocationSweepMs: 1000 },
    agent: { registerCredsFile },
  });
}
