import { isPlainObject } from '@flotilla/common';

/**
 * Helm values layered the way Helm layers values files: maps merge key by key, anything else (lists,
 * scalars, null) from `over` replaces. One rule for the hub's renders and the CLI's `--values-file`.
 */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeValues(base[k], v);
  return out;
}
