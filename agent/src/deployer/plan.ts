import { formatRef, type KubeObject, type ObjectRef } from '../objects.js';
import { PRUNE_ANNOTATION, PRUNE_DISABLED, type BundleOptions, type IgnoreRule } from './bundle.js';
import { appliedEntry, ownedDigest, ownedFieldsDiff, ownerOf, type FieldDiff } from './fields.js';
import { isIgnored, rulesFor } from './ignore.js';
import type { Inventory, InventoryEntry } from './inventory.js';
import { stageOf, type DesiredObject } from './prepare.js';

export const ACTIONS = ['create', 'update', 'unchanged', 'delete', 'skip'] as const;
export type Action = (typeof ACTIONS)[number];

/** A differing field, with who holds it now (for drift reports). */
export interface AttributedDiff extends FieldDiff {
  manager?: string;
  time?: string;
}

export interface PlannedChange {
  ref: ObjectRef;
  key: string;
  action: Action;
  reason: string;
  stage: 0 | 1;
  desired?: DesiredObject;
  /** undefined: not known (its kind is not served yet, or not read); null: does not exist. */
  live?: KubeObject | null;
  /** Fields that differ, ignore rules applied. */
  diffs: AttributedDiff[];
  /** The live object moved away from what was applied (not a change in Git). */
  drift: boolean;
  /** Flotilla holds every desired field, so its managedFields digest may stand for the object. */
  settled?: boolean;
}

export interface PlanInput {
  desired: readonly DesiredObject[];
  /** Keyed by refKey; null: known not to exist. */
  live: ReadonlyMap<string, KubeObject | null>;
  inventory?: Inventory;
  options: BundleOptions;
  manager: string;
}

/** Desired × live × inventory → what to create, update, leave, delete or skip, each with its reason. */
export function plan(input: PlanInput): PlannedChange[] {
  const changes = input.desired.map((d) =>
    planObject(d, input.live.get(d.key), input.inventory?.entries.get(d.key), input.options, input.manager),
  );
  const wanted = new Set(input.desired.map((d) => d.key));
  for (const [key, entry] of input.inventory?.entries ?? []) {
    if (!wanted.has(key)) changes.push(planRemoval(key, entry, input.live.get(key), input.options));
  }
  return changes;
}

function change(d: DesiredObject, action: Action, reason: string, extra: Partial<PlannedChange> = {}): PlannedChange {
  return { ref: d.ref, key: d.key, action, reason, stage: d.stage, desired: d, diffs: [], drift: false, ...extra };
}

/** The plan for one desired object (also used on every watch event, for drift). */
export function planObject(
  d: DesiredObject,
  live: KubeObject | null | undefined,
  inv: InventoryEntry | undefined,
  o: BundleOptions,
  manager: string,
): PlannedChange {
  if (live === undefined) return change(d, 'create', 'its kind is not served yet (defined in this bundle?)');
  if (live === null) {
    const gone = inv?.digest === d.digest;
    const reason = gone ? 'deleted from the cluster since the last apply' : 'not found in the cluster';
    if (gone && !o.selfHeal) return change(d, 'skip', `${reason}; self-heal is off`, { live, drift: true });
    return change(d, 'create', reason, { live, drift: gone });
  }
  const fromGit = !inv || inv.digest !== d.digest;
  // '' is no digest: the last apply did not record who held the fields.
  if (!fromGit && inv.owned !== '' && inv.owned === ownedDigest(live, manager)) {
    return change(d, 'unchanged', 'matches the last apply', { live, settled: true });
  }
  // Never applied (or only intended): adopted. Applied before and now without Flotilla's entry: another
  // writer took every field (`kubectl replace`), which the comparison below reports as drift.
  if (!appliedEntry(live, manager) && !inv?.digest)
    return change(d, 'update', 'exists, not yet applied by Flotilla: adopting', { live });
  const cmp = ownedFieldsDiff(d.object, live, manager);
  const diffs = attributed(cmp.diffs, live, manager, rulesFor(o.ignore, d.ref));
  const settled = cmp.complete;
  if (fromGit) {
    if (diffs.length === 0) return change(d, 'unchanged', 'the live object already matches', { live, settled });
    return change(d, 'update', `changed in Git: ${paths(diffs)}`, { live, diffs });
  }
  if (diffs.length === 0) {
    const why = settled ? 'matches the last apply' : 'matches the last apply (other writers hold some fields)';
    return change(d, 'unchanged', why, { live, settled });
  }
  const who = [...new Set(diffs.map((x) => x.manager ?? 'unknown'))].join(', ');
  const reason = `drift: ${paths(diffs)} changed by ${who}`;
  if (!o.selfHeal) return change(d, 'skip', `${reason}; self-heal is off`, { live, diffs, drift: true });
  return change(d, 'update', reason, { live, diffs, drift: true });
}

function attributed(diffs: FieldDiff[], live: KubeObject, manager: string, rules: IgnoreRule[]): AttributedDiff[] {
  const out: AttributedDiff[] = [];
  for (const d of diffs) {
    const owner = d.owned ? undefined : ownerOf(live, d.fieldPath, manager);
    if (isIgnored(rules, d.path, owner?.manager)) continue;
    out.push({ ...d, ...(owner ? { manager: owner.manager, ...(owner.time ? { time: owner.time } : {}) } : {}) });
  }
  return out;
}

function paths(diffs: readonly FieldDiff[]): string {
  const shown = diffs.slice(0, 5).map((d) => d.path);
  return shown.join(', ') + (diffs.length > shown.length ? ` and ${diffs.length - shown.length} more` : '');
}

function planRemoval(
  key: string,
  entry: InventoryEntry,
  live: KubeObject | null | undefined,
  o: BundleOptions,
): PlannedChange {
  const base = { ref: entry.ref, key, stage: stageOf(entry.ref), diffs: [], drift: false, live };
  if (live === null) return { ...base, action: 'skip', reason: 'left the bundle; already gone' };
  if (!o.prune) return { ...base, action: 'skip', reason: 'left the bundle; pruning is off' };
  if (live?.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) {
    return { ...base, action: 'skip', reason: `left the bundle; kept by ${PRUNE_ANNOTATION}: ${PRUNE_DISABLED}` };
  }
  return { ...base, action: 'delete', reason: 'left the bundle' };
}

/** A one-line account of a plan, for logs and the CLI. */
export function summarize(changes: readonly PlannedChange[]): string {
  const counts = new Map<Action, number>();
  for (const c of changes) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  return ACTIONS.filter((a) => counts.has(a))
    .map((a) => `${counts.get(a)} ${a}`)
    .join(', ');
}

export function describe(c: PlannedChange): string {
  return `${c.action} ${formatRef(c.ref)}: ${c.reason}`;
}
