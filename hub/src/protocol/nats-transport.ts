import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/index.js';
import { NatsAuthority } from './nats-auth.js';
import { startNatsServer, type NatsServerOptions } from './nats-server.js';
import type { Registered } from './registration.js';

/** What the hub process needs of either transport (GrpcHub has the same shape). */
export interface AgentTransport {
  /** The gRPC port; 0 over NATS (agents dial the NATS server). */
  port: number;
  notify(clusters?: string | readonly string[]): void;
  connectedClusters(): string[];
  /** The cluster was revoked or removed (the HTTP API calls this): refuse its agent from now on. */
  disconnect?(cluster: string): void;
  stop(): Promise<void>;
}

export interface NatsSettings {
  url: string;
  /** jwt: nats-server trusts the hub's operator and each cluster gets its own user; none: a trusted network only. */
  auth: 'jwt' | 'none';
}

export interface NatsFiles {
  /** Include in (or pass with -c to) nats-server: trusts the hub's operator, preloads its accounts. */
  serverConfig: string;
  /** Give to agents on first start (--nats-register-creds): allowed only to register. */
  registerCreds: string;
}

/**
 * Writes the hub's NATS trust files under `<dataDir>/nats/` (the identity is made once and kept):
 * `flotilla-hub nats init` runs this alone; `serve --transport nats` runs it before connecting.
 * server.conf listens on the port of the hub's NATS URL (`natsUrl`), so the server is where the hub
 * looks for it.
 */
export function writeNatsFiles(dataDir: string, natsUrl: string): { authority: NatsAuthority; files: NatsFiles } {
  const dir = join(dataDir, 'nats');
  const authority = NatsAuthority.loadOrCreate(join(dir, 'identity.json'));
  const files = { serverConfig: join(dir, 'server.conf'), registerCreds: join(dir, 'register.creds') };
  writeFileSync(files.serverConfig, authority.serverConfig(join(dir, 'operator.jwt'), natsListen(natsUrl)));
  writeFileSync(files.registerCreds, authority.registrationCreds(), { mode: 0o600 });
  return { authority, files };
}

/**
 * The client listen address for the first server of a NATS URL list (nats:// or tls://, default
 * port 4222): every interface, as nats-server's own default, on that port. A websocket URL says
 * nothing about the client port: undefined.
 */
export function natsListen(natsUrl: string): string | undefined {
  const first = natsUrl.split(',')[0]?.trim() ?? '';
  const m = /^(nats|tls):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/]*)(?::(\d{1,5}))?\/?$/.exec(first);
  if (!m) return undefined;
  return `0.0.0.0:${m[3] ?? '4222'}`;
}

/**
 * The agent flags for a NATS hub (`tokens create` prints them): the URL (a placeholder when not
 * known), and the register-only credentials once `nats init` or `serve` wrote them.
 */
export function natsAgentFlags(dataDir: string, natsUrl: string | undefined): string {
  const creds = join(dataDir, 'nats', 'register.creds');
  const url = natsUrl ?? 'nats://<host>:<port>';
  return `--transport nats --nats-url ${url}${existsSync(creds) ? ` --nats-register-creds ${creds}` : ''}`;
}

export interface StartNatsTransportOptions {
  store: Store;
  nats: NatsSettings;
  dataDir: string;
  heartbeatSeconds?: number;
  hubVersion?: string;
  onRegistered?: (r: Registered) => void;
  onKubernetesVersionChanged?: (cluster: string) => void;
  onError?: (err: unknown, context: Record<string, unknown>) => void;
  onFiles?: (files: NatsFiles) => void;
  reportLimits?: NatsServerOptions['reportLimits'];
}

/** The hub's NATS side as the process runs it: waits for the NATS server on first connect. */
export async function startNatsTransport(o: StartNatsTransportOptions): Promise<AgentTransport> {
  const secured = o.nats.auth === 'jwt' ? writeNatsFiles(o.dataDir, o.nats.url) : undefined;
  if (secured) o.onFiles?.(secured.files);
  const hub = await startNatsServer({
    store: o.store,
    servers: o.nats.url,
    connectOptions: { waitOnFirstConnect: true, ...secured?.authority.hubConnectOptions() },
    ...(secured ? { authority: secured.authority } : {}),
    ...(o.heartbeatSeconds ? { heartbeatSeconds: o.heartbeatSeconds } : {}),
    ...(o.hubVersion ? { hubVersion: o.hubVersion } : {}),
    ...(o.onRegistered ? { onRegistered: o.onRegistered } : {}),
    ...(o.onKubernetesVersionChanged ? { onKubernetesVersionChanged: o.onKubernetesVersionChanged } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
    ...(o.reportLimits ? { reportLimits: o.reportLimits } : {}),
  });
  return {
    port: 0,
    notify: (clusters) => void hub.notify(clusters),
    connectedClusters: () => hub.connectedClusters(),
    disconnect: (cluster) => hub.disconnect(cluster),
    stop: () => hub.stop(),
  };
}
