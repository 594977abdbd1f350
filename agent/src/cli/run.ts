import { pino, type Logger } from 'pino';
import { isFlotillaError } from '@flotilla/proto';
import { ManifestError, WaitTimeoutError } from '../errors.js';
import { KubeClient } from '../kube/client.js';
import { DEPLOYMENT_LABEL, deploymentLabelValue, defaultOptions, type Bundle } from '../deployer/bundle.js';
import { diffBundle } from '../deployer/diff.js';
import { InventoryStore } from '../deployer/inventory.js';
import { reconcile } from '../deployer/reconcile.js';
import { foldReport } from '../deployer/report.js';
import { waitReady } from '../deployer/wait.js';
import { realSleep, systemClock } from '../util/time.js';
import { parseCli, USAGE, UsageError, type CliConfig } from './args.js';
import { applyOutput, applyTable, diffOutput, diffTable } from './format.js';
import { loadManifests } from './load.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, cluster: 3, notReady: 4 } as const;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** The whole CLI: argv in, exit code out. Errors become one line on stderr and a code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let cfg: CliConfig | 'help';
  try {
    cfg = parseCli(argv, io.env);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (cfg === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  const log = pino({ level: cfg.logLevel, base: { cmd: cfg.command } }, pino.destination(2));
  try {
    return await (cfg.command === 'apply' ? applyCommand(cfg, io, log) : diffCommand(cfg, io, log));
  } catch (err) {
    const code = err instanceof UsageError || err instanceof ManifestError ? EXIT.usage : EXIT.cluster;
    log.error({ code: isFlotillaError(err) ? err.code : undefined }, 'commandFailed');
    io.stderr(`flotilla-agent ${cfg.command}: ${(err as Error).message}\n`);
    return code;
  }
}

async function loadBundle(cfg: CliConfig, client: KubeClient): Promise<Bundle> {
  const objects = await loadManifests(cfg.path);
  const options = {
    ...defaultOptions(),
    defaultNamespace: cfg.namespace ?? client.transport.access.namespace ?? 'default',
    prune: cfg.prune,
    selfHeal: cfg.selfHeal,
    forceConflicts: cfg.forceConflicts,
  };
  return { deployment: cfg.deployment, objects, options };
}

function connect(cfg: CliConfig): KubeClient {
  return KubeClient.fromKubeconfig(cfg.kubeconfig, cfg.context, { maxSockets: cfg.concurrency });
}

async function applyCommand(cfg: CliConfig, io: CliIo, log: Logger): Promise<number> {
  const started = Date.now();
  const client = connect(cfg);
  try {
    const bundle = await loadBundle(cfg, client);
    log.info({ deployment: bundle.deployment, objects: bundle.objects.length }, 'applyStarted');
    const inventories = new InventoryStore(client, cfg.inventoryNamespace);
    const r = await reconcile(bundle, { client, inventories, concurrency: cfg.concurrency });
    let report = r.report;
    let timedOut = false;
    if (cfg.waitMs > 0 && report.state !== 'ErrApplied') {
      const selector = `${DEPLOYMENT_LABEL}=${deploymentLabelValue(bundle.deployment)}`;
      const applied = r.desired.filter((d) => r.results.some((x) => x.key === d.key && x.change !== 'failed'));
      const waited = await waitReady(client, applied, selector, {
        timeoutMs: cfg.waitMs,
        clock: systemClock,
        sleep: realSleep,
      });
      report = foldReport(bundle.deployment, r.results, waited.health, report.drift, Date.now());
      timedOut = !waited.ready;
    }
    const out = applyOutput(report, client.stats, Date.now() - started);
    log.info({ deployment: bundle.deployment, state: out.state, calls: out.calls }, 'applyFinished');
    io.stdout(cfg.output === 'json' ? `${JSON.stringify(out, null, 2)}\n` : applyTable(out));
    if (report.state === 'ErrApplied') return EXIT.failed;
    if (timedOut) {
      io.stderr(`${new WaitTimeoutError(`not Ready after ${cfg.waitMs} ms: ${report.message}`).message}\n`);
      return EXIT.notReady;
    }
    return EXIT.ok;
  } finally {
    client.close();
  }
}

async function diffCommand(cfg: CliConfig, io: CliIo, log: Logger): Promise<number> {
  const client = connect(cfg);
  try {
    const bundle = await loadBundle(cfg, client);
    const inventories = new InventoryStore(client, cfg.inventoryNamespace);
    const diffs = await diffBundle(bundle, { client, inventories, concurrency: cfg.concurrency });
    const out = diffOutput(bundle.deployment, diffs);
    log.info({ deployment: bundle.deployment, changed: out.changed, calls: client.stats }, 'diffFinished');
    io.stdout(cfg.output === 'json' ? `${JSON.stringify(out, null, 2)}\n` : diffTable(out));
    return out.changed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    client.close();
  }
}
