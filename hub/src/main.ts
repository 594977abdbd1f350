#!/usr/bin/env node
// flotilla-hub: the hub process. Configuration: flags, then FLOTILLA_* environment variables.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildServer } from './api/server.js';
import { parseConfig } from './config.js';
import { startGrpcServer, type GrpcHub } from './protocol/grpc-server.js';
import { mintRegistrationToken } from './protocol/registration.js';
import { Engine } from './reconcile/engine.js';
import { SecretBox } from './secrets.js';
import { openStore } from './store/index.js';

const REDACT = ['*.password', '*.token', '*.secret', '*.credential', 'req.headers.authorization'];

/** `flotilla-hub tokens create --cluster NAME [--label k=v]... [--ttl SECONDS]`: prints a registration token. */
function tokensCreate(argv: string[], dataDir: string): void {
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
    const { token, expiresAt } = mintRegistrationToken(store, {
      cluster,
      labels,
      ttlSeconds: ttl,
      createdBy: 'flotilla-hub',
    });
    process.stdout.write(`${token}\n`);
    process.stderr.write(`registration token for cluster ${cluster}, valid once until ${expiresAt}\n`);
  } finally {
    store.close();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const [cmd, sub] = argv.filter((a) => !a.startsWith('-'));
  if (cmd === 'tokens' && sub === 'create') {
    const i = argv.indexOf('--data-dir');
    const dataDirArgs = i >= 0 ? argv.slice(i, i + 2) : [];
    return tokensCreate(argv, parseConfig(process.env, dataDirArgs).dataDir);
  }
  const config = parseConfig(process.env, argv);
  if (cmd !== undefined && cmd !== 'serve') throw new Error(`unknown command "${cmd}"; use: serve | tokens create`);
  const log = pino({ level: config.logLevel, redact: REDACT, base: { component: 'hub' } });
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(join(config.dataDir, 'hub.db'));
  const secrets = SecretBox.loadOrCreate(join(config.dataDir, 'hub.key'));
  const late: { engine?: Engine } = {};
  const grpcHub: GrpcHub = await startGrpcServer({
    store,
    address: `${config.grpc.host}:${config.grpc.port}`,
    onRegistered: (cluster) => {
      log.info({ cluster }, 'clusterRegistered');
      late.engine?.requestReconcile();
    },
  });
  const engine = new Engine({
    store,
    dataDir: config.dataDir,
    secrets,
    tools: { helm: config.helm, kustomize: config.kustomize },
    onSync: (r) =>
      r.ok
        ? r.changed.length > 0 && log.info({ repo: r.repo, changed: r.changed }, 'commitSeen')
        : log.warn({ repo: r.repo, error: r.error }, 'fetchFailed'),
    onReconcile: (s) => {
      const { failures, problems, ...counts } = s;
      log.info({ ...counts, failures: failures.length, problems: problems.length }, 'reconciled');
      if (counts.changed > 0 || counts.removed > 0) grpcHub.notify();
      for (const f of failures) log.warn(f, 'renderFailed');
      for (const p of problems) log.warn(p, 'targetingProblem');
    },
    onError: (err) => log.error({ err }, 'reconcileError'),
  });
  late.engine = engine;
  const app = await buildServer({
    store,
    secrets,
    trigger: (repo) => engine.triggerRepo(repo),
    logger: log.child({ component: 'http' }),
  });
  await app.listen({ host: config.http.host, port: config.http.port });
  engine.start();
  // Repos added through the store by another process (the CLI, until the API manages them) are
  // picked up within seconds.
  const refresh = setInterval(() => engine.refreshRepos(), 5000);
  log.info(
    {
      url: `http://${config.http.host}:${config.http.port}`,
      grpc: `${config.grpc.host}:${grpcHub.port}`,
      dataDir: config.dataDir,
    },
    'listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    clearInterval(refresh);
    await app.close();
    await grpcHub.stop();
    await engine.stop();
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
