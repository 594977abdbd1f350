import { Ajv, type ErrorObject } from 'ajv';
import { Kind, type TSchema } from '@sinclair/typebox';
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import { FleetYamlInvalidError, FleetYamlUnsupportedError } from './errors.js';
import { ARG_RULES, argProblem, type ArgRuleName } from '../tools/args.js';
import { FleetYamlSchema } from './fleet-schema.js';
import { repoPathProblem } from './load.js';
import type { FleetYaml } from './fleet-types.js';
import { parseDocuments, positionOf } from './yaml.js';

/** Why `value` is not an http(s) URL without credentials, or undefined when it is one. */
function httpUrlProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return `${JSON.stringify(value)} must be an http(s) URL (OCI and file URLs are not supported)`;
  }
  if (url.username || url.password) {
    return 'must not carry credentials in the URL; Flotilla fetches public chart repositories only';
  }
  return undefined;
}

/*
 * Compiled once, at module load. Ajv compiles a schema into a function with `new Function`; the hub
 * runs in Node, where no Content-Security-Policy applies, and the schema is this module's own
 * constant, never text from a repository.
 */
const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
ajv.addKeyword({ keyword: 'freeForm', schemaType: 'boolean' });
ajv.addKeyword({
  keyword: 'repoPath',
  type: 'string',
  schemaType: 'boolean',
  validate: (_: boolean, data: string) => repoPathProblem(data) === undefined,
});
ajv.addKeyword({
  keyword: 'argRule',
  type: 'string',
  schemaType: 'string',
  validate: (rule: ArgRuleName, data: string) => argProblem(data, ARG_RULES[rule]) === undefined,
});
ajv.addKeyword({
  keyword: 'httpUrl',
  type: 'string',
  schemaType: 'boolean',
  validate: (_: boolean, data: string) => httpUrlProblem(data) === undefined,
});
ajv.addKeyword({ keyword: 'unsupported', schemaType: 'string', validate: () => false });
ajv.addKeyword({
  keyword: 'falseOnly',
  type: 'boolean',
  schemaType: 'string',
  validate: (_: string, data: boolean) => data !== true,
});
const validateFleetYaml = ajv.compile<FleetYaml>(FleetYamlSchema);

interface Context {
  readonly file: string;
  readonly document: Document;
  readonly lineCounter: LineCounter;
  /** Nodes left to visit: aliases could otherwise make a small file expand exponentially. */
  budget: number;
  /** Problems met while reading the YAML into data (keys that are not strings, merges of non-maps). */
  readonly problems: Problem[];
}

interface Problem {
  readonly node: unknown;
  readonly message: string;
  readonly unsupported?: boolean;
}

const MAX_NODES = 100_000;

function at(context: Pick<Context, 'file' | 'lineCounter'>, node: unknown): string {
  const range = (node as Node | null)?.range;
  const { line, column } = positionOf(context.lineCounter, range?.[0]);
  return `${context.file}:${line}:${column}`;
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Edit distance, for "did you mean" on misspelled fields. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function resolve(document: Document, raw: unknown): Node | null | undefined {
  return (isAlias(raw) ? raw.resolve(document) : raw) as Node | null | undefined;
}

/** A field set to null counts as absent. */
const isNull = (node: Node | null | undefined): node is null | undefined =>
  node == null || (isScalar(node) && node.value === null);

/** With YAML 1.1 merge keys on, the parser gives a `<<` key the value Symbol(<<). */
function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol' && pair.key.source === '<<';
}

/** The maps a `<<` merges, earliest first (the earliest wins). */
function mergeSources(document: Document, pair: Pair): unknown[] {
  const value = resolve(document, pair.value);
  return isSeq(value) ? value.items : [value];
}

/** `{}` (Type.Unknown) or a free-form map: kept as YAML gives it. */
const isFreeForm = (schema: TSchema) => schema[Kind] === 'Unknown' || schema['freeForm'] === true;

/** The schema of `key` in an object schema: its property, or its Record's value schema. */
function fieldSchema(schema: TSchema, key: string): TSchema | undefined {
  const properties = schema['properties'] as Record<string, TSchema> | undefined;
  if (properties !== undefined) return Object.hasOwn(properties, key) ? properties[key] : undefined;
  const patterns = schema['patternProperties'] as Record<string, TSchema> | undefined;
  return patterns === undefined ? undefined : Object.values(patterns)[0];
}

/**
 * The YAML node as plain data for ajv, guided by the schema only as far as what to keep: nulls are
 * dropped (absent) except inside free-form maps, and the value of a field the schema does not know
 * is not expanded (ajv reports the field). Type mismatches are left for ajv to report.
 */
function toData(context: Context, raw: unknown, schema: TSchema | undefined, path: string): unknown {
  const node = resolve(context.document, raw);
  if (--context.budget < 0) {
    throw new FleetYamlInvalidError(`${at(context, node)}: ${context.file} expands to more than ${MAX_NODES} values`);
  }
  if (isNull(node)) return undefined;
  if (schema === undefined || schema['unsupported'] !== undefined) return true;
  if (isFreeForm(schema)) return node.toJS(context.document) as unknown;
  if (isScalar(node)) {
    // A timestamp or binary scalar is an object to JSON Schema: never let it pass for a map.
    return typeof node.value === 'object' ? String(node.value) : node.value;
  }
  if (isSeq(node)) {
    const items = schema['items'] as TSchema | undefined;
    if (schema['type'] !== 'array' || items === undefined) return [];
    const out: unknown[] = [];
    node.items.forEach((item, i) => {
      const value = toData(context, item, items, `${path}[${i}]`);
      if (value !== undefined) out.push(value);
    });
    return out;
  }
  if (isMap(node) && schema['type'] === 'object') return toObject(context, node, schema, path);
  return {};
}

/** Sets `key` as an own property, even `__proto__`, so ajv sees it. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function toObject(context: Context, node: Node, schema: TSchema, path: string): Record<string, unknown> {
  if (!isMap(node)) {
    context.problems.push({ node, message: `${path === '' ? context.file : path} must be a map` });
    return {};
  }
  let merged: Record<string, unknown> | undefined;
  const own: Record<string, unknown> = {};
  for (const pair of node.items) {
    if (isMergeKey(pair)) {
      const maps = [...mergeSources(context.document, pair)]
        .reverse()
        .map((source) => toObject(context, resolve(context.document, source) as Node, schema, path));
      merged = { ...merged, ...(Object.assign({}, ...maps) as Record<string, unknown>) };
      continue;
    }
    const key = pair.key as Node;
    if (!isScalar(key) || typeof key.value !== 'string') {
      context.problems.push({ node: key, message: `the keys of ${path === '' ? context.file : path} must be strings` });
      continue;
    }
    // As before the schema was ajv's, a string map drops a `__proto__` key rather than keep it.
    if (key.value === '__proto__' && schema['properties'] === undefined) continue;
    const value = toData(context, pair.value, fieldSchema(schema, key.value), join(path, key.value));
    if (value !== undefined) define(own, key.value, value);
  }
  return merged === undefined ? own : { ...merged, ...own };
}

/** Where an ajv instancePath points in the YAML: the node, the key naming it, and the field path. */
interface Located {
  readonly node: Node | null | undefined;
  readonly key?: Node;
  readonly path: string;
}

/** The pair that gave `key` its value in a map, merges included (own keys first, then `<<`, later wins). */
function findPair(document: Document, map: Node, key: string): Pair | undefined {
  if (!isMap(map)) return undefined;
  const items = map.items;
  for (let i = items.length - 1; i >= 0; i--) {
    const pair = items[i];
    if (pair !== undefined && !isMergeKey(pair) && isScalar(pair.key) && pair.key.value === key) {
      if (!isNull(resolve(document, pair.value))) return pair;
    }
  }
  for (let i = items.length - 1; i >= 0; i--) {
    const pair = items[i];
    if (pair === undefined || !isMergeKey(pair)) continue;
    for (const source of mergeSources(document, pair)) {
      const found = findPair(document, resolve(document, source) as Node, key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function locate(document: Document, pointer: string): Located {
  let node = resolve(document, document.contents);
  let key: Node | undefined;
  let path = '';
  const segments = pointer === '' ? [] : pointer.slice(1).split('/');
  for (const raw of segments) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (isSeq(node)) {
      // Nulls were dropped from the data: the n-th value is the n-th item that is not null.
      let n = Number(segment);
      const index = node.items.findIndex((item) => !isNull(resolve(document, item)) && n-- === 0);
      path = `${path}[${index}]`;
      key = undefined;
      node = resolve(document, node.items[index]);
    } else {
      const pair = node == null ? undefined : findPair(document, node, segment);
      path = join(path, segment);
      key = pair?.key as Node | undefined;
      node = resolve(document, pair?.value);
    }
  }
  return key === undefined ? { node, path } : { node, key, path };
}

function found(node: Node | null | undefined): string {
  return isScalar(node) ? JSON.stringify(node.value) : isSeq(node) ? 'a list' : 'a map';
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  integer: 'an integer',
};

/** An ajv error as the problem a user reads: the field path, what is wrong and what to do. */
function problemOf(context: Context, error: ErrorObject): Problem {
  const { node, path } = locate(context.document, error.instancePath);
  const value = isScalar(node) ? node.value : undefined;
  const name = path === '' ? context.file : path;
  switch (error.keyword) {
    case 'type': {
      const type = String(error.params['type']);
      if (type === 'object') return { node, message: `${name} must be a map` };
      if (type === 'array') return { node, message: `${name} must be a list` };
      const hint = type === 'string' && isScalar(node) ? '; quote it' : '';
      return { node, message: `${path} must be ${TYPE_NAMES[type] ?? type}, found ${found(node)}${hint}` };
    }
    case 'enum': {
      const values = (error.params['allowedValues'] as unknown[]).join(', ');
      return { node, message: `${path} must be one of ${values}, found ${found(node)}` };
    }
    case 'additionalProperties': {
      const field = String(error.params['additionalProperty']);
      const pair = node == null ? undefined : findPair(context.document, node, field);
      const known = Object.keys((error.parentSchema?.['properties'] ?? {}) as object);
      const close = known.find((k) => distance(k.toLowerCase(), field.toLowerCase()) <= 2);
      const hint = close === undefined ? '' : `; did you mean "${join(path, close)}"?`;
      return { node: pair?.key ?? node, message: `unknown field "${join(path, field)}"${hint}` };
    }
    case 'required': {
      const field = String(error.params['missingProperty']);
      const fields = (error.parentSchema?.['required'] as string[] | undefined)?.join(' and ') ?? field;
      return { node, message: `${name} has no "${field}"; it needs ${fields}` };
    }
    case 'repoPath':
      return { node, message: `${path} ${JSON.stringify(value)} ${repoPathProblem(String(value)) ?? ''}` };
    case 'argRule':
      return {
        node,
        message: `${path} ${JSON.stringify(value)} ${argProblem(String(value), ARG_RULES[error.schema as ArgRuleName]) ?? ''}`,
      };
    case 'httpUrl':
      return { node, message: `${path} ${httpUrlProblem(String(value)) ?? ''}` };
    case 'unsupported':
      return { node, message: `${path} is not supported: ${String(error.schema)}`, unsupported: true };
    case 'falseOnly':
      return { node, message: `${path}: true is not supported: ${String(error.schema)}`, unsupported: true };
    default:
      return { node, message: `${name} ${error.message ?? 'is not valid'}` };
  }
}

const offsetOf = (problem: Problem) => (problem.node as Node | null)?.range?.[0] ?? Number.MAX_SAFE_INTEGER;

/**
 * Parses Rancher Fleet's `fleet.yaml` strictly, against the schema in fleet-schema.ts: an unknown
 * field, a value of the wrong type, or more than one YAML document is a `FLEET_YAML_INVALID` error
 * naming `file:line:column` and the field path (`targetCustomizations[1].helm.valeus`);
 * `helm.valuesFrom` is `FLEET_YAML_UNSUPPORTED`. Of several problems, the first in the file is
 * reported. A field set to null counts as absent. Pure. See fleet-types.ts for what is honoured.
 */
export function parseFleetYaml(text: string, file = 'fleet.yaml'): FleetYaml {
  const { documents, lineCounter } = parseDocuments(text, file);
  if (documents.length > 1) {
    const second = documents[1]?.contents;
    throw new FleetYamlInvalidError(`${at({ file, lineCounter }, second)}: ${file} must hold one YAML document`);
  }
  const document = documents[0];
  if (document === undefined) return {};
  const context: Context = { file, document, lineCounter, budget: MAX_NODES, problems: [] };
  const data = toData(context, document.contents, FleetYamlSchema, '') ?? {};
  if (validateFleetYaml(data) && context.problems.length === 0) return data;
  const problems = [...context.problems, ...(validateFleetYaml.errors ?? []).map((e) => problemOf(context, e))];
  const first = problems.reduce((a, b) => (offsetOf(b) < offsetOf(a) ? b : a));
  const message = `${at(context, first.node)}: ${first.message}`;
  throw first.unsupported === true ? new FleetYamlUnsupportedError(message) : new FleetYamlInvalidError(message);
}
