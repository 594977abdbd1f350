/**
 * The agent's apply engine on one simulated cluster: first apply of 1,000 mixed objects (objects/s),
 * a no-op reconcile of the same (write calls, time), and the agent's resident memory while it
 * manages them (watches on, drift enforcement running).
 *
 *   npx tsc -b && npx tsx test/bench/agent-apply.ts [--runs 3] [--node-flags='--max-semi-space-size=1 --optimize-for-size']
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../harness/kube/binaries.js';
import { startFleet } from '../harness/kube/fleet.js';
import { mixedBundle } from './agent-bundle.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    namespaces: { type: 'string', default: '5' },
    // The agent's runtime flags: a small young generation keeps V8 from holding tens of MiB it no longer uses.
    'node-flags': { type: 'string', default: '--max-semi-space-size=1 --optimize-for-size' },
  },
});

const worker = join(REPO_ROOT, 'test/dist/bench/agent-apply-worker.js');
const runs = Number(values.runs);
console.log(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 20)} MiB; node ${process.version}`);
for (let run = 1; run <= runs; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-agent-'));
  const fleet = await startFleet({ clusters: ['bench'], dir });
  try {
    const cluster = fleet.clusters[0];
    if (!cluster) throw new Error('no cluster');
    const file = join(dir, 'bundle.json');
    const b = mixedBundle('bench/mixed', Number(values.namespaces));
    writeFileSync(file, JSON.stringify(b));
    const flags = (values['node-flags'] ?? '').split(' ').filter(Boolean);
    const out = execFileSync(process.execPath, [...flags, worker, cluster.kubeconfig, file], {
      encoding: 'utf8',
      cwd: REPO_ROOT,
    });
    console.log(`run ${run} (node ${flags.join(' ') || 'defaults'}): ${out.trim()}`);
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
