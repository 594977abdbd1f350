import { createHash } from 'node:crypto';
import { isPlainObject } from '@flotilla/common';
import { BundleDuplicateObjectError, BundleInvalidObjectError } from './errors.js';
import {
  compareKeys,
  compareStrings,
  formatKey,
  formatSource,
  objectKey,
  type JsonObject,
  type KubeObject,
  type ManifestObject,
  type ObjectKey,
  type SourceLocation,
} from './object.js';
import { validateObject } from './validate.js';

/*
 * The canonical form of a bundle. A bundle is identified by the sha256 of these bytes, so the rules
 * below are a contract: changing any of them changes every digest.
 *
 * 1. Normalize each object: at every depth, a map key whose value is null is removed (array elements
 *    are kept as they are, nulls included, because their position means something). Then an empty
 *    `metadata.labels` or `metadata.annotations` is removed. Strings, numbers and booleans are never
 *    converted ("1" stays a string, 1 stays a number). Values JSON cannot hold (NaN, Infinity, bigint,
 *    Date, Map, ...) are an error.
 * 2. Validate each normalized object (validate.ts): apiVersion, kind, metadata.name.
 * 3. Sort the objects by (API group, kind, namespace, name), comparing strings by UTF-16 code units.
 *    The core group and the namespace of a cluster-scoped object are "". The version is not part of
 *    the key. Two objects with the same key are an error that names both sources.
 * 4. Write each object as one line of JSON without whitespace, map keys sorted by UTF-16 code units
 *    at every depth, strings and numbers exactly as ECMAScript's JSON.stringify writes them (each line
 *    is therefore the RFC 8785 JCS form of the object), followed by "\n". The bundle is the UTF-8
 *    concatenation of the lines (JSON Lines); an empty bundle is zero bytes.
 * 5. digest = lowercase hex sha256 of those bytes.
 */

export interface CanonicalBundle {
  /** The canonical bytes: one JSON object per line. */
  readonly bytes: Buffer;
  /** Lowercase hex sha256 of `bytes`. */
  readonly digest: string;
  /** The normalized objects, in canonical order (the order of the lines in `bytes`). */
  readonly objects: readonly KubeObject[];
}

function notJson(source: SourceLocation | undefined, path: string, what: string): never {
  const where = path === '' ? 'the object' : path;
  throw new BundleInvalidObjectError(`${formatSource(source)}: ${where} holds ${what}, which JSON cannot represent`);
}

/** Rule 1 for one value; `undefined` means "drop this key". */
function normalizeValue(value: unknown, path: string, source?: SourceLocation): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : notJson(source, path, String(value));
  if (typeof value !== 'object') return notJson(source, path, `a ${typeof value}`);
  if (Array.isArray(value)) return value.map((item, i) => normalizeValue(item, `${path}[${i}]`, source) ?? null);
  if (!isPlainObject(value)) return notJson(source, path, `a ${value.constructor.name}`);
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort(compareStrings)) {
    const normalized = normalizeValue(value[key], path === '' ? key : `${path}.${key}`, source);
    if (normalized !== undefined) out[key] = normalized;
  }
  return out;
}

function dropEmptyMap(metadata: unknown, field: 'labels' | 'annotations'): void {
  if (typeof metadata !== 'object' || metadata === null) return;
  const record = metadata as JsonObject;
  const map = record[field];
  if (isPlainObject(map) && Object.keys(map).length === 0) {
    delete record[field];
  }
}

/** Rules 1 and 2 for one object. */
export function normalizeObject(object: JsonObject, source?: SourceLocation): KubeObject {
  const normalized = normalizeValue(object, '', source) as JsonObject;
  dropEmptyMap(normalized.metadata, 'labels');
  dropEmptyMap(normalized.metadata, 'annotations');
  return validateObject(normalized, source);
}

/** Rule 4 for one value that went through rule 1. */
function serialize(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as JsonObject;
    const fields = Object.keys(record)
      .sort(compareStrings)
      .map((key) => `${JSON.stringify(key)}:${serialize(record[key])}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Entry {
  readonly object: KubeObject;
  readonly key: ObjectKey;
  readonly source: SourceLocation | undefined;
}

function sortAndCheckDuplicates(entries: Entry[]): Entry[] {
  // Array.prototype.sort is stable, so of two duplicates the one given first is named first.
  const sorted = [...entries].sort((a, b) => compareKeys(a.key, b.key));
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as Entry;
    const current = sorted[i] as Entry;
    if (compareKeys(previous.key, current.key) === 0) {
      throw new BundleDuplicateObjectError(
        `${formatKey(current.key)} is defined twice: at ${formatSource(previous.source)} and at ${formatSource(current.source)}`,
      );
    }
  }
  return sorted;
}

/** The canonical form and digest of a list of objects: the same content in any order, with keys in
 * any order, yields the same bytes and digest. Pure; does not modify its input. */
export function canonicalize(objects: readonly ManifestObject[]): CanonicalBundle {
  const entries = objects.map(({ object, source }): Entry => {
    const normalized = normalizeObject(object, source);
    return { object: normalized, key: objectKey(normalized), source };
  });
  const sorted = sortAndCheckDuplicates(entries);
  const bytes = Buffer.from(sorted.map((entry) => `${serialize(entry.object)}\n`).join(''), 'utf8');
  return { bytes, digest: sha256Hex(bytes), objects: sorted.map((entry) => entry.object) };
}
