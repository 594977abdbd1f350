/**
 * The simulated clusters' load-balancer address assigner, as a process (started by startFleet):
 *   node --import tsx test/harness/kube/lb-assigner-main.ts --kubeconfig F [--kubeconfig G ...] [--range A-B]
 * Logs JSON lines on stdout; stops on SIGTERM or SIGINT, releasing its leases.
 */
import { parseArgs } from 'node:util';
import { ClusterAssigner } from './lb-assigner.js';
import { DEFAULT_LB_RANGE, parseRange } from './lb-plan.js';

const { values } = parseArgs({
  options: { kubeconfig: { type: 'string', multiple: true }, range: { type: 'string' } },
});
const range = values.range ?? DEFAULT_LB_RANGE;
const pool = parseRange(range);
const kubeconfigs = values.kubeconfig ?? [];
if (kubeconfigs.length === 0) throw new Error('lb-assigner: give --kubeconfig once per cluster');

const assigners = kubeconfigs.map(
  (k, i) =>
    new ClusterAssigner(k, pool, (msg, fields) =>
      process.stdout.write(
        `${JSON.stringify({ time: new Date().toISOString(), cluster: assigners[i]?.cluster, msg, ...fields })}\n`,
      ),
    ),
);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(assigners.map((a) => a.stop()));
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: 'starting', range })}\n`);
await Promise.all(assigners.map((a) => a.start()));
