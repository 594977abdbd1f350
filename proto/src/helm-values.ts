/**
 * Helm values layered the way Helm layers values files: maps merge key by key, anything else (lists,
 * scalars, null) from `over` replaces. One rule for the hub's renders and the CLI's `--values-file`.
 */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeValues(base[k], v);
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
