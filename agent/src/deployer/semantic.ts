import { isPlainObject } from '../objects.js';

// Fields whose values are resource.Quantity: the apiserver rewrites them canonically ("1000m" → "1").
const QUANTITY_PARENTS = new Set([
  'limits',
  'requests',
  'hard',
  'capacity',
  'allocatable',
  'overhead',
  'max',
  'min',
  'default',
  'defaultRequest',
  'maxLimitRequestRatio',
]);
const QUANTITY_LEAVES = new Set(['sizeLimit', 'storage']);

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** The numeric value of a Kubernetes quantity ("500m", "1Gi", 2), or undefined. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? 1);
}

function isQuantityPath(path: readonly (string | number)[]): boolean {
  const leaf = path[path.length - 1];
  const parent = path[path.length - 2];
  return (
    (typeof leaf === 'string' && QUANTITY_LEAVES.has(leaf)) ||
    (typeof parent === 'string' && QUANTITY_PARENTS.has(parent))
  );
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isPlainObject(v) && Object.keys(v).length === 0)
  );
}

/**
 * Whether a live value holds what the desired value asks for, as the apiserver stores it: quantities
 * compare by value, empty and absent are the same, and live objects may carry extra defaulted fields.
 */
export function semanticEqual(desired: unknown, live: unknown, path: readonly (string | number)[] = []): boolean {
  if (desired === live) return true;
  if (isEmpty(desired) && isEmpty(live)) return true;
  if (isQuantityPath(path)) {
    const a = parseQuantity(desired);
    const b = parseQuantity(live);
    if (a !== undefined && b !== undefined) return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => semanticEqual(d, live[i], [...path, i]));
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return false;
    return Object.entries(desired).every(([k, d]) => d === null || semanticEqual(d, live[k], [...path, k]));
  }
  return false;
}
