import { UnknownKindError, messageOf } from '../errors.js';
import type { ObjectRef } from '../objects.js';
import { mapLimit } from '../util/pool.js';
import { applyForcingImperative, withoutIgnored } from './apply.js';
import type { Bundle } from './bundle.js';
import { jsonDiff, type ValueChange } from './jsondiff.js';
import { plan, type Action, type PlannedChange } from './plan.js';
import { prepareBundle, readBundleLive, withDefaults, type ReconcileDeps } from './reconcile.js';

export interface ObjectDiff {
  ref: ObjectRef;
  action: Action;
  reason: string;
  /** What the apiserver would change, from a server-side dry run against the live object. */
  fields: ValueChange[];
  /** Why the apply would fail (the apiserver's words), when the dry run was refused. */
  error?: string;
}

/** What a reconcile would do, without writing: the plan, each change checked by a server-side dry run. */
export async function diffBundle(bundle: Bundle, deps: ReconcileDeps): Promise<ObjectDiff[]> {
  const d = withDefaults(deps);
  const { desired, invalid } = await prepareBundle(bundle, d.client);
  const previous = await d.inventories.load(bundle.deployment);
  const { live } = await readBundleLive(bundle, desired, previous, d);
  const manager = d.client.fieldManager;
  const planned = plan({
    desired,
    live,
    options: bundle.options,
    manager,
    ...(previous ? { inventory: previous } : {}),
  });
  const checked = await mapLimit(planned, d.concurrency, (c) => dryRun(c, bundle, d.client));
  const refused = invalid.map((x) => ({
    ref: x.ref,
    action: 'skip' as const,
    reason: 'invalid',
    fields: [],
    error: x.error.message,
  }));
  return [...refused, ...checked];
}

async function dryRun(c: PlannedChange, bundle: Bundle, client: ReconcileDeps['client']): Promise<ObjectDiff> {
  const base = { ref: c.ref, action: c.action, reason: c.reason };
  if (c.action === 'delete') return { ...base, fields: [{ path: '', before: 'exists' }] };
  if ((c.action !== 'create' && c.action !== 'update') || !c.desired) return { ...base, fields: [] };
  try {
    const body = withoutIgnored(c, bundle.options, client.fieldManager);
    const res = await applyForcingImperative(body, c, bundle.options, client, true);
    return { ...base, fields: jsonDiff(c.live ?? undefined, res.object) };
  } catch (err) {
    if (err instanceof UnknownKindError && c.action === 'create') {
      return { ...base, fields: [{ path: '', after: 'created once its CRD is established' }] };
    }
    return { ...base, fields: [], error: messageOf(err) };
  }
}
