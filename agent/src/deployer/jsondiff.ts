import { isPlainObject, toPointer } from '../objects.js';
import { semanticEqual } from './semantic.js';

export interface ValueChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** Metadata the server writes on every change; never part of what a user changed. */
const NOISE = new Set([
  '/metadata/managedFields',
  '/metadata/resourceVersion',
  '/metadata/generation',
  '/metadata/creationTimestamp',
  '/metadata/uid',
  '/status',
]);

/** Leaf-level differences between two objects (lists of different lengths change as a whole). */
export function jsonDiff(before: unknown, after: unknown, path: (string | number)[] = []): ValueChange[] {
  const ptr = toPointer(path);
  if (NOISE.has(ptr)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => jsonDiff(before[k], after[k], [...path, k]));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => jsonDiff(b, after[i], [...path, i]));
  }
  if (semanticEqual(after, before, path) && semanticEqual(before, after, path)) return [];
  return [{ path: ptr, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }];
}
