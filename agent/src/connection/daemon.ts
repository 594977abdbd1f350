import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { FLOTILLA_VERSION } from '@flotilla/common';
import { DEFAULT_AGENT_NAMESPACE, InventoryStore } from '../deployer/inventory.js';
import { APPLY_RETRY, type ApplyRetryPolicy } from '../enforcer/backoff.js';
import { BundleCache } from '../enforcer/cache.js';
import { Enforcer } from '../enforcer/enforcer.js';
import { inClusterAccess, loadKubeconfig } from '../kube/config.js';
import { KubeClient } from '../kube/client.js';
import type { AgentSession } from './agent-session.js';
import { HubConnection } from './hub-connection.js';
import { NatsHubConnection } from './nats-connection.js';
import { AgentTls, parseAgentTlsFlags, type AgentTlsFlags } from './tls.js';
import { startHealthServer } from './health.js';
import { IdentitySecret } from './identity.js';

/** Session events logged at debug: they repeat in normal operation and change nothing. */
const ROUTINE_EVENTS = new Set(['statusesBatched']);

export interface DaemonConfig {
  hub: string;
  cluster: string;
  stateDir: string;
  kubeconfig?: string;
  context?: string;
  token?: string;
  logLevel: string;
  /** TLS to the hub; undefined only with --insecure. */
  tls?: AgentTlsFlags;
  /** The agent's own namespace: inventories and the identity Secret (default flotilla-system). */
  namespace?: string;
  /** host:port serving /healthz and /readyz for the kubelet. */
  healthAddr?: string;
  /** Secret (in `namespace`) keeping the credential and client certificate across restarts of the pod. */
  identitySecret?: string;
  /** Set with --transport nats: the NATS server(s), and register-only creds for a first start on a JWT-mode server. */
  nats?: { url: string; registerCreds?: string };
  /** --retry-base-seconds, --retry-max-seconds: how a failed apply is retried (default APPLY_RETRY). */
  retry?: ApplyRetryPolicy;
}

/**
 * `flotilla-agent run --hub host:port --cluster NAME [--kubeconfig F] [--state-dir D]`, or over NATS
 * `--transport nats --nats-url nats://host:port [--nats-register-creds F]`; the token from --token or
 * FLOTILLA_REGISTRATION_TOKEN.
 */
export function parseDaemonArgs(argv: readonly string[], env: NodeJS.ProcessEnv): DaemonConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      hub: { type: 'string' },
      cluster: { type: 'string' },
      'state-dir': { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      token: { type: 'string' },
      'log-level': { type: 'string' },
      'hub-ca': { type: 'string' },
      'hub-ca-hash': { type: 'string' },
      'tls-server-name': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      insecure: { type: 'boolean' },
      namespace: { type: 'string' },
      'health-addr': { type: 'string' },
      'identity-secret': { type: 'string' },
      transport: { type: 'string' },
      'nats-url': { type: 'string' },
      'nats-register-creds': { type: 'string' },
      'retry-base-seconds': { type: 'string' },
      'retry-max-seconds': { type: 'string' },
    },
  });
  const nats = parseNatsFlags(values, env);
  const hub = values.hub ?? env.FLOTILLA_HUB ?? nats?.url;
  // gRPC's TLS flags do not apply to NATS (the NATS URL carries tls:// and the server's own trust).
  const tls = nats ? undefined : parseAgentTlsFlags(values, env);
  const cluster = values.cluster ?? env.FLOTILLA_CLUSTER;
  if (!hub) throw new Error('run: --hub host:port (or FLOTILLA_HUB) is required');
  if (!cluster) throw new Error('run: --cluster NAME (or FLOTILLA_CLUSTER) is required');
  const token = values.token ?? env.FLOTILLA_REGISTRATION_TOKEN;
  const kubeconfig = values.kubeconfig ?? env.KUBECONFIG;
  return {
    hub,
    cluster,
    stateDir: values['state-dir'] ?? env.FLOTILLA_STATE_DIR ?? '/var/lib/flotilla-agent',
    logLevel: values['log-level'] ?? env.FLOTILLA_LOG_LEVEL ?? 'info',
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(values.context ? { context: values.context } : {}),
    ...(token ? { token } : {}),
    ...(tls ? { tls } : {}),
    ...((values.namespace ?? env.FLOTILLA_NAMESPACE) ? { namespace: values.namespace ?? env.FLOTILLA_NAMESPACE } : {}),
    ...((values['health-addr'] ?? env.FLOTILLA_HEALTH_ADDR)
      ? { healthAddr: values['health-addr'] ?? env.FLOTILLA_HEALTH_ADDR }
      : {}),
    ...((values['identity-secret'] ?? env.FLOTILLA_IDENTITY_SECRET)
      ? { identitySecret: values['identity-secret'] ?? env.FLOTILLA_IDENTITY_SECRET }
      : {}),
    ...(nats ? { nats } : {}),
    ...retryPolicy(values, env),
  };
}

/** A failed apply is retried after `base` seconds, doubling to `max`; both must be positive numbers. */
function retryPolicy(
  v: { 'retry-base-seconds'?: string; 'retry-max-seconds'?: string },
  env: NodeJS.ProcessEnv,
): { retry?: ApplyRetryPolicy } {
  const base = v['retry-base-seconds'] ?? env.FLOTILLA_RETRY_BASE_SECONDS;
  const max = v['retry-max-seconds'] ?? env.FLOTILLA_RETRY_MAX_SECONDS;
  if (base === undefined && max === undefined) return {};
  const seconds = (value: string | undefined, flag: string, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`run: --${flag} "${value}" is not a positive number of seconds`);
    return n * 1000;
  };
  const baseMs = seconds(base, 'retry-base-seconds', APPLY_RETRY.baseMs);
  const maxMs = seconds(max, 'retry-max-seconds', Math.max(APPLY_RETRY.maxMs, baseMs));
  if (maxMs < baseMs) {
    throw new Error(`run: --retry-max-seconds ${max} is less than the base delay of ${baseMs / 1000} s`);
  }
  return { retry: { baseMs, maxMs } };
}

function parseNatsFlags(
  v: { transport?: string; 'nats-url'?: string; 'nats-register-creds'?: string },
  env: NodeJS.ProcessEnv,
): DaemonConfig['nats'] {
  const transport = v.transport ?? env.FLOTILLA_TRANSPORT ?? 'grpc';
  if (transport !== 'grpc' && transport !== 'nats') {
    throw new Error(`run: --transport "${transport}" is not grpc or nats (FLOTILLA_TRANSPORT)`);
  }
  if (transport === 'grpc') return undefined;
  const url = v['nats-url'] ?? env.FLOTILLA_NATS_URL;
  if (!url) throw new Error('run: --transport nats needs --nats-url nats://host:port (or FLOTILLA_NATS_URL)');
  const registerCreds = v['nats-register-creds'] ?? env.FLOTILLA_NATS_REGISTER_CREDS;
  return { url, ...(registerCreds ? { registerCreds } : {}) };
}

/** The long-running agent: enforcer (works alone from its cache) plus the hub connection. */
export async function runDaemon(cfg: DaemonConfig, env: NodeJS.ProcessEnv): Promise<never> {
  const log = pino({
    level: cfg.logLevel,
    base: { component: 'agent', cluster: cfg.cluster },
    redact: ['token', 'credential'],
  });
  const access = cfg.kubeconfig ? loadKubeconfig(cfg.kubeconfig, cfg.context) : inClusterAccess(env);
  const client = KubeClient.fromAccess(access);
  const late: { conn?: AgentSession } = {};
  const enforcer = new Enforcer({
    client,
    inventories: new InventoryStore(client, cfg.namespace),
    cache: new BundleCache(join(cfg.stateDir, 'bundles')),
    ...(cfg.retry ? { retry: cfg.retry } : {}),
    onReport: (r) => {
      log.info({ deployment: r.deployment, state: r.state }, 'deploymentReport');
      late.conn?.report(r);
    },
    onDrift: (d) => {
      log.warn({ deployment: d.deployment, object: d.ref, manager: d.manager, corrected: d.corrected }, 'drift');
      late.conn?.drift(d);
    },
    onError: (err, deployment) => log.error({ err, deployment }, 'enforcerError'),
  });
  const health = { started: false, connected: false };
  if (cfg.healthAddr) {
    await startHealthServer(cfg.healthAddr, { ready: () => health.started, detail: () => ({ ...health }) });
  }
  const identity = cfg.identitySecret
    ? new IdentitySecret(client, cfg.namespace ?? DEFAULT_AGENT_NAMESPACE, cfg.identitySecret, {
        credential: join(cfg.stateDir, 'credential'),
        'client.crt': cfg.tls?.certFile ?? join(cfg.stateDir, 'client.crt'),
        'client.key': cfg.tls?.keyFile ?? join(cfg.stateDir, 'client.key'),
        'hub-ca.crt': join(cfg.stateDir, 'hub-ca.crt'),
      })
    : undefined;
  if (identity) log.info({ restored: await identity.restore(), secret: cfg.identitySecret }, 'identityRestored');
  await enforcer.start();
  health.started = true;
  if (!cfg.tls && !cfg.nats)
    log.warn({ hub: cfg.hub, risk: 'credential and bundles cross the network in plaintext' }, 'hubInsecure');
  const security = cfg.tls
    ? new AgentTls({
        address: cfg.hub,
        ...cfg.tls,
        discoveredCaFile: join(cfg.stateDir, 'hub-ca.crt'),
        certFile: cfg.tls.certFile ?? join(cfg.stateDir, 'client.crt'),
        keyFile: cfg.tls.keyFile ?? join(cfg.stateDir, 'client.key'),
        renewable: !cfg.tls.certFile,
      })
    : undefined;
  const session = {
    clusterName: cfg.cluster,
    credentialFile: join(cfg.stateDir, 'credential'),
    stateFile: join(cfg.stateDir, 'desired.json'),
    ...(cfg.token ? { token: cfg.token } : {}),
    agentVersion: FLOTILLA_VERSION,
    onEvent: (event: string, detail?: Record<string, unknown>) => {
      // Routine traffic is for debugging; what changes the agent's state is worth a line at info.
      if (ROUTINE_EVENTS.has(event)) log.debug(detail ?? {}, event);
      else log.info(detail ?? {}, event);
      if (event === 'connected') health.connected = true;
      if (event === 'disconnected') health.connected = false;
      if ((event === 'registered' || event === 'clientCertificateRenewed') && identity) {
        identity.save().then(
          (saved) => log.info({ saved, secret: cfg.identitySecret }, 'identitySaved'),
          (err: unknown) => log.error({ err, secret: cfg.identitySecret }, 'identitySaveFailed'),
        );
      }
    },
  };
  const conn: AgentSession = cfg.nats
    ? new NatsHubConnection(
        {
          ...session,
          servers: cfg.nats.url.split(','),
          ...(cfg.nats.registerCreds ? { registerCredsFile: cfg.nats.registerCreds } : {}),
        },
        enforcer,
      )
    : new HubConnection({ ...session, address: cfg.hub, ...(security ? { security } : {}) }, enforcer);
  late.conn = conn;
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await conn.stop();
    await enforcer.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await conn.run();
  return new Promise<never>(() => {});
}
