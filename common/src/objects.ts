/**
 * A map as JSON and YAML produce them: an object literal (or one with no prototype), not an array,
 * null, a Date, a Map or any other class instance.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
