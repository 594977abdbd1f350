import {
  digestOf,
  isPlainObject,
  toPointer,
  type FieldsV1,
  type KubeObject,
  type ManagedFieldsEntry,
} from '../objects.js';
import { semanticEqual } from './semantic.js';

/** One field where the live object differs from the desired one. */
export interface FieldDiff {
  /** JSON pointer, with list indexes of the desired object (of the live one for removals). */
  path: string;
  desired?: unknown;
  live?: unknown;
  /** True when the applier still owns the field (a change from Git); false when it lost it (drift). */
  owned: boolean;
  /** The managedFields path, to find who owns the field now. */
  fieldPath: string[];
}

type Path = (string | number)[];
type Out = FieldDiff[];
/** Counts desired fields the applier does not hold, equal or not. */
interface Unowned {
  count: number;
}

/** The applier's own entry: operation Apply on the main resource. */
export function appliedEntry(obj: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return obj.metadata.managedFields?.find((e) => e.manager === manager && e.operation === 'Apply' && !e.subresource);
}

/** A digest of the fields the applier owns; it changes whenever another writer takes one of them. */
export function ownedDigest(obj: KubeObject, manager: string): string {
  const entry = appliedEntry(obj, manager);
  return entry ? digestOf(entry.fieldsV1 ?? {}) : '';
}

function hasChildren(fv: FieldsV1 | undefined): fv is FieldsV1 {
  return fv !== undefined && Object.keys(fv).some((k) => k !== '.');
}

/**
 * Compares the desired object with the live one through the applier's managedFields: every desired
 * field must be owned by the applier and hold the desired value, and the applier must own nothing
 * the desired object no longer sets. Lists are matched by the keys managedFields records.
 */
export function ownedFieldsDiff(desired: KubeObject, live: KubeObject, manager: string): FieldsComparison {
  const out: FieldDiff[] = [];
  const { apiVersion: _a, kind: _k, ...body } = desired;
  const { name: _n, namespace: _ns, ...meta } = desired.metadata;
  const unowned = { count: 0 };
  walkMap({ ...body, metadata: meta }, live, appliedEntry(live, manager)?.fieldsV1, [], [], out, unowned);
  return { diffs: out, complete: unowned.count === 0 && out.every((d) => d.owned) };
}

export interface FieldsComparison {
  diffs: FieldDiff[];
  /** The applier holds every desired field (so its managedFields digest can stand for the object). */
  complete: boolean;
}

function walk(d: unknown, l: unknown, fv: FieldsV1 | undefined, path: Path, fp: string[], out: Out, u: Unowned): void {
  if (isPlainObject(d)) return walkMap(d, l, fv, path, fp, out, u);
  if (Array.isArray(d)) return walkList(d, l, fv ?? {}, path, fp, out, u);
  if (!semanticEqual(d, l, path)) out.push(diff(path, fp, d, l, true));
}

function diff(path: Path, fieldPath: string[], desired: unknown, live: unknown, owned: boolean): FieldDiff {
  return { path: toPointer(path), desired, live, owned, fieldPath };
}

function walkMap(
  d: Record<string, unknown>,
  l: unknown,
  fv: FieldsV1 | undefined,
  path: Path,
  fp: string[],
  out: Out,
  u: Unowned,
): void {
  const lm = isPlainObject(l) ? l : {};
  for (const [k, dv] of Object.entries(d)) {
    if (dv === null || dv === undefined) continue;
    const seg = `f:${k}`;
    const child = fv?.[seg];
    const p = [...path, k];
    if (child === undefined) {
      // Not held: descend into maps to name the leaves that differ (`/data/color`, not `/data`).
      if (isPlainObject(dv) && isPlainObject(lm[k])) walkMap(dv, lm[k], undefined, p, [...fp, seg], out, u);
      else if (!semanticEqual(dv, lm[k], p)) out.push(diff(p, [...fp, seg], dv, lm[k], false));
      if (!isPlainObject(dv) || !isPlainObject(lm[k])) u.count++;
    } else if (hasChildren(child) && typeof dv === 'object') {
      walk(dv, lm[k], child, p, [...fp, seg], out, u);
    } else if (!semanticEqual(dv, lm[k], p)) {
      out.push(diff(p, [...fp, seg], dv, lm[k], true));
    }
  }
  for (const seg of Object.keys(fv ?? {})) {
    const k = seg.slice(2);
    if (
      seg.startsWith('f:') &&
      (d[k] === undefined || d[k] === null) &&
      !(path.length === 0 && (k === 'apiVersion' || k === 'kind'))
    ) {
      out.push(diff([...path, k], [...fp, seg], undefined, lm[k], true));
    }
  }
}

function walkList(d: unknown[], l: unknown, fv: FieldsV1, path: Path, fp: string[], out: Out, u: Unowned): void {
  const la = Array.isArray(l) ? l : [];
  const keyed = Object.keys(fv).filter((s) => s.startsWith('k:'));
  if (keyed.length > 0) return walkKeyed(d, la, fv, keyed, path, fp, out, u);
  if (Object.keys(fv).some((s) => s.startsWith('v:'))) return walkSet(d, la, fv, path, fp, out, u);
  if (!semanticEqual(d, la, path)) out.push(diff(path, fp, d, la, true));
}

interface KeyedEntry {
  seg: string;
  key: Record<string, unknown>;
  used: boolean;
}

function matchesKey(el: unknown, key: Record<string, unknown>, lenient: boolean): boolean {
  if (!isPlainObject(el)) return false;
  // Lenient: the desired element may omit a defaulted key field (a port's protocol: TCP).
  return Object.entries(key).every(([f, v]) => (lenient && el[f] === undefined) || semanticEqual(el[f], v));
}

function walkKeyed(
  d: unknown[],
  la: unknown[],
  fv: FieldsV1,
  keyed: string[],
  path: Path,
  fp: string[],
  out: Out,
  u: Unowned,
): void {
  const entries: KeyedEntry[] = keyed.map((seg) => ({ seg, key: JSON.parse(seg.slice(2)) as never, used: false }));
  const keyNames = Object.keys(entries[0]?.key ?? {});
  d.forEach((de, i) => {
    const entry = entries.find((e) => !e.used && matchesKey(de, e.key, true));
    const p = [...path, i];
    if (entry) {
      entry.used = true;
      const le = la.find((x) => matchesKey(x, entry.key, false));
      return walk(de, le, fv[entry.seg], p, [...fp, entry.seg], out, u);
    }
    u.count++;
    const le = la.find((x) => isPlainObject(de) && matchesKey(x, pick(de, keyNames), true));
    if (!semanticEqual(de, le, p)) {
      const keyOf = isPlainObject(le) ? le : isPlainObject(de) ? de : {};
      out.push(diff(p, [...fp, `k:${JSON.stringify(pick(keyOf, keyNames))}`], de, le, false));
    }
  });
  for (const e of entries.filter((x) => !x.used)) {
    const index = la.findIndex((x) => matchesKey(x, e.key, false));
    out.push(diff([...path, index < 0 ? '-' : index], [...fp, e.seg], undefined, la[index], true));
  }
}

function pick(o: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const n of names) if (o[n] !== undefined) r[n] = o[n];
  return r;
}

function walkSet(d: unknown[], la: unknown[], fv: FieldsV1, path: Path, fp: string[], out: Out, u: Unowned): void {
  const owned = new Set(Object.keys(fv).filter((s) => s.startsWith('v:')));
  const liveValues = new Set(la.map((x) => JSON.stringify(x)));
  for (const de of d) {
    const seg = `v:${JSON.stringify(de)}`;
    const isOwned = owned.delete(seg);
    if (!isOwned) u.count++;
    if (!liveValues.has(JSON.stringify(de))) out.push(diff([...path, '-'], [...fp, seg], de, undefined, isOwned));
  }
  for (const seg of owned) out.push(diff([...path, '-'], [...fp, seg], undefined, JSON.parse(seg.slice(2)), true));
}

/** Who owns a managedFields path now: the manager, when it wrote, and how. */
export interface FieldOwner {
  manager: string;
  operation: string;
  time?: string;
}

/**
 * The manager holding a field (other than `exclude`); when nobody holds it (a field someone removed),
 * the most recent imperative writer is the best witness managedFields offers.
 */
export function ownerOf(live: KubeObject, fieldPath: string[], exclude: string): FieldOwner | undefined {
  const others = (live.metadata.managedFields ?? []).filter(
    (e) => !(e.manager === exclude && e.operation === 'Apply' && !e.subresource),
  );
  const holders = others.filter((e) => holds(e.fieldsV1, fieldPath));
  const candidates = holders.length > 0 ? holders : others.filter((e) => e.operation === 'Update' && !e.subresource);
  const latest = candidates.sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''))[0];
  if (!latest?.manager) return undefined;
  return { manager: latest.manager, operation: latest.operation ?? '', ...(latest.time ? { time: latest.time } : {}) };
}

function holds(fv: FieldsV1 | undefined, fieldPath: string[]): boolean {
  let node = fv;
  for (const seg of fieldPath) {
    node = node?.[seg];
    if (node === undefined) return false;
  }
  return true;
}

/**
 * JSON pointers, in the desired object's coordinates, of the desired leaves that a manager's
 * managedFields hold (to leave fields owned by, say, an HPA out of an apply).
 */
export function pointersHeldBy(desired: KubeObject, fv: FieldsV1 | undefined): string[] {
  const out: string[] = [];
  const visit = (d: unknown, node: FieldsV1, path: Path) => {
    if (isPlainObject(d)) {
      for (const [k, v] of Object.entries(d)) {
        const child = node[`f:${k}`];
        if (child === undefined) continue;
        if (hasChildren(child)) visit(v, child, [...path, k]);
        else out.push(toPointer([...path, k]));
      }
    } else if (Array.isArray(d)) {
      const entries = Object.keys(node).filter((s) => s.startsWith('k:'));
      d.forEach((el, i) => {
        const seg = entries.find((s) => matchesKey(el, JSON.parse(s.slice(2)) as never, true));
        const child = seg === undefined ? undefined : node[seg];
        if (child !== undefined) visit(el, child, [...path, i]);
      });
    }
  };
  if (fv) visit(desired, fv, []);
  return out;
}
