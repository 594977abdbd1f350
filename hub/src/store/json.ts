import { canonicalJson, isPlainObject } from '@flotilla/common';
import { StoreCorruptError, StoreInvalidError } from './errors.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Cluster labels, as in Kubernetes: string keys to string values. */
export type Labels = Readonly<Record<string, string>>;

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StoreCorruptError(`${what}: stored JSON cannot be parsed`, { cause: err });
  }
}

/** Decodes a JSON object column; `what` names the row for the error (e.g. `target "web" options`). */
export function decodeObject(text: string, what: string): JsonObject {
  const value = parse(text, what);
  if (!isPlainObject(value)) throw new StoreCorruptError(`${what}: stored JSON is not an object`);
  return value as JsonObject;
}

/** Decodes a JSON array column; `what` names the row for the error. */
export function decodeArray(text: string, what: string): JsonValue[] {
  const value = parse(text, what);
  if (!Array.isArray(value)) throw new StoreCorruptError(`${what}: stored JSON is not a list`);
  return value as JsonValue[];
}

/** Decodes a JSON object whose values are all strings (labels, auth references). */
export function decodeStringMap(text: string, what: string): Record<string, string> {
  const value = decodeObject(text, what);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new StoreCorruptError(`${what}: value of "${key}" is not a string`);
  }
  return value as Record<string, string>;
}

/** Encodes with sorted keys, so equal objects are equal text (and compare equal in SQL). */
export function encode(value: JsonValue | Labels): string {
  return canonicalJson(value);
}

/** Refuses a map with a non-string value before it is stored; `what` names the owner for the error. */
export function checkStringMap<T extends Readonly<Record<string, string>>>(value: T, what: string): T {
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new StoreInvalidError(`${what}: value of "${key}" must be a string`);
  }
  return value;
}

/** Drops keys whose value is undefined, so a NULL column reads as an absent optional field. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
