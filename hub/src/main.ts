#!/usr/bin/env node
// flotilla-hub: the hub process. Configuration: flags, then FLOTILLA_* environment variables.
import { existsSync, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pino } from 'pino';
import { FLOTILLA_VERSION } from '@flotilla/common';
import { bootstrapAdminToken } from './api/auth.js';
import { HubMetrics } from './api/metrics.js';
import { buildServer } from './api/server.js';
import { parseConfig, type HubConfig } from './config.js';
import { route } from './help.js';
import { apiTlsOf, certificateOf, listenApi } from './api/listen.js';
import { startGrpcServer } from './protocol/grpc-server.js';
import { natsAgentFlags, startNatsTransport, writeNatsFiles, type AgentTransport } from './protocol/nats-transport.js';
import { mintRegistrationToken, type Registered } from './protocol/registration.js';
import { Engine } from './reconcile/engine.js';
import { SecretBox } from './secrets.js';
import { agentTrustHint, caCommand } from './tls/ca-command.js';
import { setupHubTls } from './tls/hub-tls.js';
import { openSandbox } from './tools/sandbox.js';
import { locateTool, toolMissing } from './tools/locate.js';
import { openStore, RetentionSweeper } from './store/index.js';

/** The hub reports the release it belongs to (common/package.json; a test keeps every workspace at it). */
const HUB_VERSION = FLOTILLA_VERSION;
// rawPacket: the bytes of a request Node could not parse (a header overflow's hold its bearer token).
const REDACT = [
  '*.password',
  '*.token',
  '*.secret',
  '*.credential',
  '*.headers.authorization',
  '*.headers.cookie',
  'err.rawPacket',
  '*.rawPacket',
];

/** `flotilla-hub tokens create --cluster NAME [--label k=v]... [--ttl SECONDS]`: prints a registration token. */
function tokensCreate(argv: string[], config: HubConfig, given: { transport: boolean; natsUrl: boolean }): void {
  const { dataDir } = config;
  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { cluster: { type: 'string' }, label: { type: 'string', multiple: true }, ttl: { type: 'string' } },
  });
  const cluster = values.cluster;
  if (typeof cluster !== 'string' || !cluster) throw new Error('tokens create: --cluster NAME is required');
  const labels: Record<string, string> = {};
  for (const l of (values.label ?? []) as string[]) {
    const [k, ...v] = l.split('=');
    if (!k || v.length === 0) throw new Error(`tokens create: --label "${l}" is not key=value`);
    labels[k] = v.join('=');
  }
  const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new Error(`tokens create: --ttl "${String(values.ttl)}" is not a number of seconds`);
  mkdirSync(dataDir, { recursive: true });
  const store = openStore(join(dataDir, 'hub.db'));
  try {
    // The same checks as the API's (cluster name, label keys and values), naming these flags.
    const { token, expiresAt } = mintRegistrationToken(store, {
      cluster,
      labels,
      ttlSeconds: ttl,
      createdBy: 'flotilla-hub',
      fields: { cluster: '--cluster', labels: '--label' },
    });
    process.stdout.write(`${token}\n`);
    process.stderr.write(`registration token for cluster ${cluster}, valid once until ${expiresAt}\n`);
    // A hub started with --transport nats has made its NATS identity: its agents dial NATS, not gRPC.
    const nats = given.transport ? config.transport === 'nats' : existsSync(join(dataDir, 'nats', 'identity.json'));
    if (nats) {
      const flags = natsAgentFlags(dataDir, given.natsUrl ? config.nats.url : undefined);
      process.stderr.write(`agents reach this hub over NATS with: ${flags} (the NATS address as agents reach it)\n`);
    } else {
      const trust = agentTrustHint(dataDir);
      if (trust) process.stderr.write(`agents trust this hub's own CA (--tls auto) with: ${trust}\n`);
    }
  } finally {
    store.close();
  }
}

/** The `--flag value` pairs of these flags in argv, for a command that takes other flags besides. */
function flagsOf(argv: readonly string[], flags: readonly string[]): string[] {
  return flags.flatMap((f) => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv.slice(i, i + 2) : [];
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const routed = route(argv);
  if (routed.kind === 'help') {
    process[routed.stream].write(routed.text);
    process.exitCode = routed.exitCode;
    return;
  }
  const [cmd, sub] = argv.filter((a) => !a.startsWith('-'));
  if (cmd === 'tokens' && sub === 'create') {
    const own = flagsOf(argv, ['--data-dir', '--transport', '--nats-url']);
    return tokensCreate(argv, parseConfig(process.env, own), {
      transport: own.includes('--transport') || process.env.FLOTILLA_TRANSPORT !== undefined,
      natsUrl: own.includes('--nats-url') || process.env.FLOTILLA_NATS_URL !== undefined,
    });
  }
  if (cmd === 'nats' && sub === 'init') {
    // Writes the NATS trust files for `serve --transport nats` (nats-server -js -c <serverConfig>).
    const natsConfig = parseConfig(process.env, argv);
    const { files } = writeNatsFiles(natsConfig.dataDir, natsConfig.nats.url);
    process.stdout.write(`${JSON.stringify(files, null, 2)}\n`);
    return;
  }
  if (cmd === 'ca') {
    const i = argv.indexOf('--data-dir');
    const dataDir = parseConfig(process.env, i >= 0 ? argv.slice(i, i + 2) : []).dataDir;
    return caCommand(sub, dataDir, (text) => process.stdout.write(text));
  }
  const config = parseConfig(process.env, argv);
  if (cmd !== undefined && cmd !== 'serve')
    throw new Error(`unknown command "${cmd}"; use: serve | tokens create | ca show | ca hash | nats init`);
  const log = pino({ level: config.logLevel, redact: REDACT, base: { component: 'hub' } });
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(join(config.dataDir, 'hub.db'));
  const secrets = SecretBox.loadOrCreate(join(config.dataDir, 'hub.key'));
  const tls = setupHubTls(config.dataDir, config.tls);
  if (tls) {
    log.info({ ...tls.serverCertificate(), mtls: tls.requireClientCertificate, caPin: tls.caPin }, 'grpcTls');
  } else {
    log.warn(
      { risk: 'agent credentials and bundles cross the network in plaintext; for tests and development only' },
      'grpcInsecure',
    );
  }
  // Checked twice a day: the auto server certificate is renewed well before it expires.
  // The API's certificate is the same one, or (gRPC --insecure) its own: added below.
  const renewable = tls ? [{ tls, what: 'grpc' }] : [];
  const renew = setInterval(() => {
    for (const r of renewable)
      if (r.tls.renewIfDue()) log.info({ ...r.tls.serverCertificate(), for: r.what }, 'certificateRenewed');
  }, 12 * 3600_000);
  renew.unref();
  const sandbox = await openSandbox(config.renderSandbox);
  if (sandbox.mode === 'none') {
    log.warn(
      {
        risk: "helm and kustomize run with the hub's own rights: a commit can read its files; trusted repositories only",
      },
      'renderSandboxOff',
    );
  }
  for (const [tool, binary] of [
    ['helm', config.helm],
    ['kustomize', config.kustomize],
  ] as const) {
    const found = locateTool(binary);
    if ('found' in found) log.info({ tool, path: found.found }, 'renderTool');
    else log.warn({ tool, problem: toolMissing(binary, found.looked) }, 'renderToolMissing');
  }
  const staleAfterMs = config.staleAfterSeconds * 1000;
  const metrics = new HubMetrics({ store, staleAfterMs, connectedClusters: () => agents.connectedClusters() });
  const engine = new Engine({
    store,
    dataDir: config.dataDir,
    secrets,
    tools: { helm: config.helm, kustomize: config.kustomize, sandbox },
    plaintextSecrets: config.plaintextSecrets,
    git: config.git,
    onTreesCollected: (r) => log.info(r, 'treesCollected'),
    repoCredentials: config.repoCredentials,
    onSync: (r) =>
      r.ok
        ? r.changed.length > 0 && log.info({ repo: r.repo, changed: r.changed }, 'commitSeen')
        : log.warn({ repo: r.repo, error: r.error }, 'fetchFailed'),
    // The agents hear of what a pass changed from the store (the transports listen to it), not from here.
    onReconcile: (s, ms, scope) => {
      metrics.observeReconcile(ms);
      const { failures, problems, clusters, recheck, ...counts } = s;
      log.info(
        {
          ...counts,
          scope: scope.describe(),
          clusters: clusters.length,
          failures: failures.length,
          problems: problems.length,
          recheck: recheck.length,
        },
        'reconciled',
      );
      for (const f of failures) log.warn(f, 'renderFailed');
      for (const p of problems) log.warn(p, 'targetingProblem');
    },
    onError: (err) => log.error({ err }, 'reconcileError'),
  });
  // Only a registration that changes what decides placements (a new cluster, other labels, a lifted
  // revocation, another Kubernetes version) needs a reconcile: at fleet scale a reconcile per
  // registration made registering crawl. Otherwise the agent's hello gets the desired state as it is.
  const onRegistered = (r: Registered) => {
    log.info(
      { cluster: r.cluster.name, retried: r.retried, placementChanged: r.placementChanged },
      'clusterRegistered',
    );
    if (r.placementChanged) engine.enqueue({ kind: 'cluster', cluster: r.cluster.name });
  };
  const onKubernetesVersionChanged = (cluster: string) => {
    log.info({ cluster }, 'clusterKubernetesVersionChanged');
    engine.enqueue({ kind: 'cluster', cluster });
  };
  // The agents' transport: the same protocol (agent-protocol.ts) over gRPC or NATS.
  const agents: AgentTransport =
    config.transport === 'nats'
      ? await startNatsTransport({
          store,
          nats: config.nats,
          dataDir: config.dataDir,
          hubVersion: HUB_VERSION,
          onRegistered,
          onKubernetesVersionChanged,
          onError: (err, context) => log.warn({ err, ...context }, 'natsAgentMessageRefused'),
          onFiles: (files) => log.info(files, 'natsTrustFiles'),
          reportLimits: config.reportLimits,
        })
      : await startGrpcServer({
          store,
          address: `${config.grpc.host}:${config.grpc.port}`,
          ...(tls ? { tls } : {}),
          onRegistered,
          onKubernetesVersionChanged,
          reportLimits: config.reportLimits,
          limits: config.grpcLimits,
        });
  const apiTls = apiTlsOf(config, tls, log);
  if (apiTls && apiTls !== tls) renewable.push({ tls: apiTls, what: 'http' });
  const advertised =
    config.advertise ?? (config.transport === 'nats' ? config.nats.url : `${config.grpc.host}:${agents.port}`);
  const app = await buildServer({
    store,
    secrets,
    trigger: (repo) => engine.triggerRepo(repo),
    engine,
    agents,
    staleAfterMs,
    metrics,
    hubInfo: () => ({
      version: HUB_VERSION,
      transport: config.transport,
      agentAddress: advertised,
      ...(tls ? { caCertificate: tls.caCertificatePem, caFingerprint: tls.caPin } : {}),
    }),
    version: HUB_VERSION,
    logger: log.child({ component: 'http' }),
    ...(apiTls ? { https: certificateOf(apiTls) } : {}),
    metricsAuth: config.metricsAuth,
    authFailureLimit: config.authFailureLimit,
    repoEnvPrefix: config.repoCredentials.envPrefix,
  });
  const bootstrap = bootstrapAdminToken(store, config.dataDir);
  if (bootstrap)
    log.warn({ file: bootstrap }, 'bootstrapAdminTokenWritten: read it once, log in, then delete the file');
  const front = await listenApi(app, config.http, apiTls);
  engine.start();
  // Events (drift history included) older or more than the retention policy keeps go, a batch at a time.
  const retention = new RetentionSweeper({
    events: store.events,
    policy: config.retention,
    onSwept: (r) => log.info(r, 'eventsSwept'),
    onError: (err) => log.error({ err }, 'eventSweepFailed'),
  });
  retention.start();
  log.info(
    {
      url: `${apiTls ? 'https' : 'http'}://${config.http.host}:${config.http.port}`,
      ...(apiTls?.caPin ? { caPin: apiTls.caPin } : {}),
      ...(config.transport === 'nats' ? { nats: config.nats.url } : { grpc: `${config.grpc.host}:${agents.port}` }),
      dataDir: config.dataDir,
      repoSecretsDir: config.repoCredentials.secretsDir,
    },
    'listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    clearInterval(renew);
    front?.close();
    await app.close();
    await agents.stop();
    await engine.stop();
    await retention.stop();
    store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`flotilla-hub: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
