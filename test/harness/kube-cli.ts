/**
 * npm run kube:up -- --clusters N [--minimal [--load-balancers]] [--names a,b] [--dir .flotilla/kube]
 * npm run kube:down
 * npm run kube:status
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { REPO_ROOT } from './kube/binaries.js';
import { fleetRss, liveProcesses, readRecord, startFleet, stopRecord } from './kube/fleet.js';

const USAGE =
  'usage: kube-cli.ts up [--clusters N | --names a,b] [--minimal [--load-balancers]] [--dir DIR] | down | status';

function fail(message: string): never {
  process.stderr.write(`kube: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      clusters: { type: 'string', default: '1' },
      names: { type: 'string' },
      minimal: { type: 'boolean', default: false },
      // Full clusters always get the load-balancer address assigner; minimal ones on request.
      'load-balancers': { type: 'boolean', default: false },
      dir: { type: 'string', default: join(REPO_ROOT, '.flotilla/kube') },
    },
  });
  const dir = values.dir;
  const cmd = positionals[0];
  const record = readRecord(dir);
  const live = record ? liveProcesses(record) : [];

  if (cmd === 'up') {
    if (record && live.length > 0) {
      fail(
        `clusters started at ${record.startedAt} are still running (${live.length} processes, ` +
          `${record.clusters.map((c) => c.name).join(', ')}). Run \`npm run kube:down\` first.`,
      );
    }
    if (record) process.stdout.write(`kube: removing stale state from ${record.startedAt} (no process alive)\n`);
    const count = Number(values.clusters);
    if (!values.names && (!Number.isInteger(count) || count < 1 || count > 10)) {
      fail(`--clusters must be a whole number from 1 to 10 (got "${values.clusters}")`);
    }
    const names = values.names
      ? values.names.split(',').map((n) => n.trim())
      : Array.from({ length: count }, (_, i) => `cluster-${i + 1}`);
    const t0 = Date.now();
    const fleet = await startFleet({
      clusters: names,
      dir,
      minimal: values.minimal,
      loadBalancers: values['load-balancers'] || !values.minimal,
      detached: true,
      progress: (line) => process.stdout.write(`kube: ${line}\n`),
    });
    process.stdout.write(`kube: ${names.length} cluster(s) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const c of fleet.clusters) process.stdout.write(`${c.kubeconfig}\n`);
    return;
  }
  if (cmd === 'down') {
    if (!record) {
      process.stdout.write(`kube: nothing to stop (no ${join(dir, 'state.json')})\n`);
      return;
    }
    const stopped = await stopRecord(record);
    process.stdout.write(`kube: stopped ${stopped.length} process(es) started at ${record.startedAt}\n`);
    return;
  }
  if (cmd === 'status') {
    if (!record) {
      process.stdout.write('kube: no clusters\n');
      return;
    }
    const rss = fleetRss(record);
    for (const p of record.processes) {
      const mb = rss.has(p.name) ? `${((rss.get(p.name) ?? 0) / 2 ** 20).toFixed(0)} MiB` : 'not running';
      process.stdout.write(`${p.name.padEnd(40)} pid ${String(p.pid).padEnd(8)} ${mb}\n`);
    }
    for (const c of record.clusters) process.stdout.write(`${c.name}: ${c.kubeconfig}\n`);
    return;
  }
  fail(USAGE);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
