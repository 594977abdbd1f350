import { ApplyError, KubeApiError, UnknownKindError, messageOf } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { fromPointer, isPlainObject, type KubeObject } from '../objects.js';
import { mapLimit } from '../util/pool.js';
import type { Clock, Sleep } from '../util/time.js';
import type { BundleOptions } from './bundle.js';
import type { ObjectResult } from './changes.js';
import { appliedEntry, pointersHeldBy } from './fields.js';
import { healthOf } from './health.js';
import { rulesFor } from './ignore.js';
import type { PlannedChange } from './plan.js';

export interface ApplyDeps {
  client: KubeClient;
  sleep: Sleep;
  clock: Clock;
  concurrency: number;
  /** How long to wait for applied CRDs to be Established before the rest. */
  crdTimeoutMs: number;
}

/** Staged server-side apply: CRDs and Namespaces, then (CRDs established) everything else. */
export async function applyStaged(
  changes: readonly PlannedChange[],
  o: BundleOptions,
  deps: ApplyDeps,
): Promise<ObjectResult[]> {
  const first = await applyStage(changes, 0, o, deps);
  const crds = first.filter((r) => r.ref.kind === 'CustomResourceDefinition' && r.object);
  if (crds.length > 0) {
    await waitEstablished(crds, deps);
    deps.client.discovery.invalidate();
  }
  const second = await applyStage(changes, 1, o, deps);
  return [...first, ...second];
}

async function applyStage(
  changes: readonly PlannedChange[],
  stage: 0 | 1,
  o: BundleOptions,
  deps: ApplyDeps,
): Promise<ObjectResult[]> {
  const mine = changes.filter((c) => c.stage === stage && c.desired);
  return mapLimit(mine, deps.concurrency, (c) => applyPlanned(c, o, deps.client));
}

function result(c: PlannedChange, extra: Partial<ObjectResult> & Pick<ObjectResult, 'change'>): ObjectResult {
  return { ref: c.ref, key: c.key, reason: c.reason, action: c.action, stage: c.stage, object: c.live, ...extra };
}

/** Applies one planned change; failures become values naming the object, with the apiserver's words. */
export async function applyPlanned(c: PlannedChange, o: BundleOptions, client: KubeClient): Promise<ObjectResult> {
  if (c.action === 'unchanged') return result(c, { change: 'unchanged' });
  if (c.action !== 'create' && c.action !== 'update') return result(c, { change: 'skipped' });
  const body = withoutIgnored(c, o, client.fieldManager);
  try {
    const res = await applyForcingImperative(body, c, o, client);
    const same = c.live && res.object.metadata.resourceVersion === c.live.metadata.resourceVersion;
    const change = res.created ? 'created' : same ? 'unchanged' : 'configured';
    return result(c, { change, object: res.object, ...(res.forced ? { forced: res.forced } : {}) });
  } catch (err) {
    const conflict = err instanceof KubeApiError && err.status.code === 409;
    const message = err instanceof UnknownKindError ? err.message : messageOf(err);
    return result(c, { change: 'failed', error: new ApplyError(c.ref, message, { cause: err, conflict }) });
  }
}

/**
 * Applies; on a conflict with managers that wrote imperatively (kubectl edit/scale, controllers: an
 * Update, not an Apply), takes the fields back with force: that is drift, and Git wins. A conflict
 * with another declarative applier is reported, unless the bundle forces conflicts.
 */
export async function applyForcingImperative(
  body: KubeObject,
  c: PlannedChange,
  o: BundleOptions,
  client: KubeClient,
  dryRun = false,
): Promise<{ object: KubeObject; created: boolean; forced?: string[] }> {
  try {
    return await client.apply(body, { force: o.forceConflicts, dryRun });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status.code === 409) || o.forceConflicts) throw err;
    const managers = conflictingManagers(err);
    const live = (await client.get(c.ref)) ?? c.live ?? undefined;
    const entries = live?.metadata.managedFields ?? [];
    const declarative = managers.some((m) =>
      entries.some((e) => e.manager === m && e.operation === 'Apply' && m !== client.fieldManager),
    );
    if (declarative || managers.length === 0) throw err;
    const res = await client.apply(body, { force: true, dryRun });
    return { ...res, forced: err.status.causes.map((x) => x.field ?? '').filter(Boolean) };
  }
}

/** Manager names from a 409's causes: `conflict with "kubectl-edit" using v1`. */
export function conflictingManagers(err: KubeApiError): string[] {
  const names = err.status.causes.map((x) => /conflict with "([^"]+)"/.exec(x.message ?? '')?.[1]);
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

/**
 * Leaves out of the apply what ignore rules cover and someone else now holds: pointers whose live
 * field another manager owns, and fields held by ignored managers (an HPA's replicas).
 */
export function withoutIgnored(c: PlannedChange, o: BundleOptions, manager: string): KubeObject {
  const desired = c.desired?.object as KubeObject;
  const rules = rulesFor(o.ignore, c.ref);
  const live = c.live;
  if (rules.length === 0 || !live) return desired;
  const drop: string[] = [];
  const others = (live.metadata.managedFields ?? []).filter((e) => e !== appliedEntry(live, manager));
  for (const e of others) {
    const held = pointersHeldBy(desired, e.fieldsV1);
    const ignoredManager = rules.some((r) => r.managers.includes(e.manager ?? ''));
    for (const p of held) {
      if (ignoredManager || rules.some((r) => r.jsonPointers.some((rp) => p === rp || p.startsWith(rp + '/')))) {
        drop.push(p);
      }
    }
  }
  return drop.length === 0 ? desired : removePointers(desired, drop);
}

function removePointers(obj: KubeObject, pointers: string[]): KubeObject {
  const copy = structuredClone(obj);
  for (const p of pointers) {
    const segs = fromPointer(p);
    const last = segs.pop();
    let node: unknown = copy;
    for (const s of segs) node = isPlainObject(node) || Array.isArray(node) ? (node as never)[s] : undefined;
    if (isPlainObject(node) && last !== undefined) delete node[last];
  }
  return copy;
}

async function waitEstablished(crds: ObjectResult[], deps: ApplyDeps): Promise<void> {
  const deadline = deps.clock.now() + deps.crdTimeoutMs;
  for (const r of crds) {
    while (healthOf(r.object, deps.clock.now()).health !== 'Ready' && deps.clock.now() < deadline) {
      await deps.sleep(250);
      r.object = (await deps.client.get(r.ref)) ?? r.object;
    }
  }
}
