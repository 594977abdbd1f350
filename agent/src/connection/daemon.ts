import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { InventoryStore } from '../deployer/inventory.js';
import { BundleCache } from '../enforcer/cache.js';
import { Enforcer } from '../enforcer/enforcer.js';
import { inClusterAccess, loadKubeconfig } from '../kube/config.js';
import { KubeClient } from '../kube/client.js';
import { HubConnection } from './hub-connection.js';

export interface DaemonConfig {
  hub: string;
  cluster: string;
  stateDir: string;
  kubeconfig?: string;
  context?: string;
  token?: string;
  logLevel: string;
}

/** `flotilla-agent run --hub host:port --cluster NAME [--kubeconfig F] [--state-dir D]`; the token from --token or FLOTILLA_REGISTRATION_TOKEN. */
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
    },
  });
  const hub = values.hub ?? env.FLOTILLA_HUB;
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
  };
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
  const late: { conn?: HubConnection } = {};
  const enforcer = new Enforcer({
    client,
    inventories: new InventoryStore(client),
    cache: new BundleCache(join(cfg.stateDir, 'bundles')),
    onReport: (r) => {
      log.info({ bundleId: r.bundleId, state: r.state }, 'bundleReport');
      late.conn?.report(r);
    },
    onDrift: (d) => {
      log.warn({ bundleId: d.bundleId, object: d.ref, manager: d.manager, corrected: d.corrected }, 'drift');
      late.conn?.drift(d);
    },
    onError: (err, bundleId) => log.error({ err, bundleId }, 'enforcerError'),
  });
  await enforcer.start();
  const conn = new HubConnection(
    {
      address: cfg.hub,
      clusterName: cfg.cluster,
      credentialFile: join(cfg.stateDir, 'credential'),
      stateFile: join(cfg.stateDir, 'desired.json'),
      ...(cfg.token ? { token: cfg.token } : {}),
      agentVersion: '0.1.0',
      onEvent: (event, detail) => log.info(detail ?? {}, event),
    },
    enforcer,
  );
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
