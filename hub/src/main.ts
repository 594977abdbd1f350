#!/usr/bin/env node
// flotilla-hub: the hub process. Configuration: flags, then FLOTILLA_* environment variables.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildServer } from './api/server.js';
import { parseConfig } from './config.js';
import { Engine } from './reconcile/engine.js';
import { SecretBox } from './secrets.js';
import { openStore } from './store/index.js';

const REDACT = ['*.password', '*.token', '*.secret', '*.credential', 'req.headers.authorization'];

async function main(): Promise<void> {
  const config = parseConfig(process.env, process.argv.slice(2));
  const log = pino({ level: config.logLevel, redact: REDACT, base: { component: 'hub' } });
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(join(config.dataDir, 'hub.db'));
  const secrets = SecretBox.loadOrCreate(join(config.dataDir, 'hub.key'));
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
      for (const f of failures) log.warn(f, 'renderFailed');
      for (const p of problems) log.warn(p, 'targetingProblem');
    },
    onError: (err) => log.error({ err }, 'reconcileError'),
  });
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
  log.info({ url: `http://${config.http.host}:${config.http.port}`, dataDir: config.dataDir }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    clearInterval(refresh);
    await app.close();
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
