/**
 * Measures simulated clusters: warm start time to ready (node Ready, default ServiceAccount) and
 * resident memory per process and per cluster after a settle period.
 *
 *   npm run bench:kube -- --clusters 3 [--settle 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pidRss } from '../harness/process.js';
import { startFleet } from '../harness/kube/fleet.js';

const { values } = parseArgs({
  options: { clusters: { type: 'string', default: '1' }, settle: { type: 'string', default: '20' } },
});
const n = Number(values.clusters);
const settleS = Number(values.settle);
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-kube-'));
const mib = (b: number) => (b / 2 ** 20).toFixed(0);

const t0 = performance.now();
const fleet = await startFleet({ clusters: Array.from({ length: n }, (_, i) => `bench-${i + 1}`), dir });
const readyS = (performance.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, settleS * 1000));

const perCluster = new Map<string, number>();
let total = 0;
for (const p of fleet.record.processes) {
  const rss = pidRss(p.pid) ?? 0;
  total += rss;
  const cluster = /\[(.+)\]$/.exec(p.name)?.[1] ?? '(shared etcd)';
  perCluster.set(cluster, (perCluster.get(cluster) ?? 0) + rss);
  console.log(`${p.name.padEnd(40)} ${mib(rss).padStart(6)} MiB`);
}
console.log(`\nmachine: ${cpus().length} cores, ${mib(totalmem())} MiB; node ${process.version}`);
console.log(`clusters: ${n}; ready in ${readyS.toFixed(1)} s (warm binaries); settled ${settleS} s`);
for (const [c, rss] of perCluster) console.log(`  ${c}: ${mib(rss)} MiB`);
console.log(`total RSS: ${mib(total)} MiB`);
await fleet.stop();
rmSync(dir, { recursive: true, force: true });
