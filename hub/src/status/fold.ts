import { SETTLED_STATES, type DeploymentReport, type StatusRecord, type Store } from '../store/index.js';

/**
 * Folds an agent's status report into its deployment. The first report that settles a generation
 * (Ready, or ErrApplied) also appends an `Applied` event with the outcome and how long the rollout
 * took: the durable record behind the success-rate and duration metrics. One transaction; a report
 * that cannot settle, or that repeats the outcome of a generation settled already, is a single
 * statement, atomic by itself: no savepoint in a caller's batch.
 */
export function foldStatus(store: Store, report: DeploymentReport): StatusRecord {
  if (!SETTLED_STATES.includes(report.state)) return store.deployments.recordStatus(report);
  // Most Ready reports are routine (the generation settled long ago): one statement, no savepoint.
  const routine = store.deployments.recordResettled(report);
  if (routine) return routine;
  return store.transaction(() => {
    const r = store.deployments.recordStatus(report);
    if (r.settled) {
      const d = r.deployment;
      store.events.append({
        kind: 'Applied',
        cluster: d.cluster,
        target: d.target,
        environment: d.environment,
        bundle: d.bundle,
        payload: {
          generation: d.generation,
          state: r.settled.state,
          durationMs: r.settled.durationMs,
          ...(d.revision ? { revision: d.revision } : {}),
          ...(r.settled.state === 'ErrApplied' && d.message ? { message: d.message } : {}),
        },
      });
    }
    return r;
  });
}
