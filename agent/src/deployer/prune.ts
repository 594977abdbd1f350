import { PruneError, messageOf } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { mapLimit } from '../util/pool.js';
import type { ObjectResult } from './changes.js';
import type { PlannedChange } from './plan.js';

/**
 * Deletes what left the bundle, custom resources and namespaced objects before Namespaces and CRDs.
 * Only planned deletions are touched, and the plan only deletes what the inventory holds.
 */
export async function prune(
  changes: readonly PlannedChange[],
  client: KubeClient,
  concurrency: number,
): Promise<ObjectResult[]> {
  const removals = changes.filter((c) => !c.desired);
  const results: ObjectResult[] = [];
  for (const stage of [1, 0] as const) {
    const batch = removals.filter((c) => c.stage === stage);
    results.push(...(await mapLimit(batch, concurrency, (c) => pruneOne(c, client))));
  }
  return results;
}

async function pruneOne(c: PlannedChange, client: KubeClient): Promise<ObjectResult> {
  const base = { ref: c.ref, key: c.key, reason: c.reason, action: c.action, stage: c.stage, object: c.live };
  if (c.action !== 'delete') return { ...base, change: 'skipped' };
  try {
    const outcome = await client.delete(c.ref);
    return {
      ...base,
      change: 'deleted',
      object: null,
      reason: outcome === 'gone' ? `${c.reason} (already gone)` : c.reason,
    };
  } catch (err) {
    return { ...base, change: 'failed', error: new PruneError(c.ref, messageOf(err), { cause: err }) };
  }
}
