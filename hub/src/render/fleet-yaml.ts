import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import { FleetYamlInvalidError, FleetYamlUnsupportedError } from './errors.js';
import { ARG_RULES, argProblem, type ArgRuleName } from '../tools/args.js';
import { FLEET_YAML_SPEC, type Spec } from './fleet-schema.js';
import { repoPathProblem } from './load.js';
import type { FleetYaml } from './fleet-types.js';
import { parseDocuments, positionOf } from './yaml.js';

interface Context {
  readonly file: string;
  readonly document: Document;
  readonly lineCounter: LineCounter;
  /** Nodes left to visit: aliases could otherwise make a small file expand exponentially. */
  budget: number;
}

const MAX_NODES = 100_000;

/** The fields of a map: a fixed set, or one spec for every key (string maps). */
type Fields = Readonly<Record<string, Spec>> | ((key: string) => Spec);

const STRING: Spec = { type: 'string' };

function fieldSpec(fields: Fields, key: string): Spec | undefined {
  if (typeof fields === 'function') return fields(key);
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

function at(context: Pick<Context, 'file' | 'lineCounter'>, node: unknown): string {
  const range = (node as Node | null)?.range;
  const { line, column } = positionOf(context.lineCounter, range?.[0]);
  return `${context.file}:${line}:${column}`;
}

function invalid(context: Context, node: unknown, message: string): never {
  throw new FleetYamlInvalidError(`${at(context, node)}: ${message}`);
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

function unknownField(context: Context, key: Node, path: string, fields: Readonly<Record<string, Spec>>): never {
  const name = String((key as { value?: unknown }).value);
  const close = Object.keys(fields).find((known) => distance(known.toLowerCase(), name.toLowerCase()) <= 2);
  const hint = close === undefined ? '' : `; did you mean "${join(path, close)}"?`;
  invalid(context, key, `unknown field "${join(path, name)}"${hint}`);
}

function scalarOf(context: Context, node: Node, path: string, type: string, ok: (v: unknown) => boolean): unknown {
  if (!isScalar(node) || !ok(node.value)) {
    const found = isScalar(node) ? JSON.stringify(node.value) : isSeq(node) ? 'a list' : 'a map';
    const hint = type === 'a string' && isScalar(node) ? '; quote it' : '';
    invalid(context, node, `${path} must be ${type}, found ${found}${hint}`);
  }
  return node.value;
}

/** Refused here, with file and line, rather than later as a bare "path" error from the renderer. */
function readRepoPath(context: Context, node: Node, path: string): string {
  const value = scalarOf(context, node, path, 'a string', (v) => typeof v === 'string') as string;
  const problem = repoPathProblem(value);
  if (problem !== undefined) invalid(context, node, `${path} ${JSON.stringify(value)} ${problem}`);
  return value;
}

function readArg(context: Context, node: Node, path: string, rule: ArgRuleName): string {
  const value = scalarOf(context, node, path, 'a string', (v) => typeof v === 'string') as string;
  const problem = argProblem(value, ARG_RULES[rule]);
  if (problem !== undefined) invalid(context, node, `${path} ${JSON.stringify(value)} ${problem}`);
  return value;
}

function readHttpUrl(context: Context, node: Node, path: string): string {
  const value = scalarOf(context, node, path, 'a string', (v) => typeof v === 'string') as string;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    invalid(
      context,
      node,
      `${path} ${JSON.stringify(value)} must be an http(s) URL (OCI and file URLs are not supported)`,
    );
  }
  if (url.username || url.password) {
    invalid(
      context,
      node,
      `${path} must not carry credentials in the URL; Flotilla fetches public chart repositories only`,
    );
  }
  return value;
}

function read(context: Context, raw: unknown, spec: Spec, path: string): unknown {
  const node = (isAlias(raw) ? raw.resolve(context.document) : raw) as Node | null | undefined;
  if (--context.budget < 0) invalid(context, node, `${context.file} expands to more than ${MAX_NODES} values`);
  if (node == null || (isScalar(node) && node.value === null)) return undefined;
  switch (spec.type) {
    case 'string':
      return scalarOf(context, node, path, 'a string', (v) => typeof v === 'string');
    case 'repoPath':
      return readRepoPath(context, node, path);
    case 'arg':
      return readArg(context, node, path, spec.rule);
    case 'httpUrl':
      return readHttpUrl(context, node, path);
    case 'boolean':
      return scalarOf(context, node, path, 'true or false', (v) => typeof v === 'boolean');
    case 'integer':
      return scalarOf(context, node, path, 'an integer', (v) => Number.isInteger(v));
    case 'enum':
      return scalarOf(context, node, path, `one of ${spec.values.join(', ')}`, (v) =>
        spec.values.includes(v as string),
      );
    case 'map':
      if (!isMap(node)) invalid(context, node, `${path} must be a map`);
      return node.toJS(context.document) as unknown;
    case 'any':
      return node.toJS(context.document) as unknown;
    case 'stringMap':
      return readObject(context, node, path, () => STRING);
    case 'list':
      if (!isSeq(node)) invalid(context, node, `${path} must be a list`);
      return node.items.map((item, i) => read(context, item, spec.of, `${path}[${i}]`)).filter((v) => v !== undefined);
    case 'object':
      return readObject(context, node, path, spec.fields);
    case 'unsupported':
      throw new FleetYamlUnsupportedError(`${at(context, node)}: ${path} is not supported: ${spec.reason}`);
    case 'falseOnly':
      if (scalarOf(context, node, path, 'true or false', (v) => typeof v === 'boolean') === true) {
        throw new FleetYamlUnsupportedError(`${at(context, node)}: ${path}: true is not supported: ${spec.reason}`);
      }
      return false;
  }
}

/** With YAML 1.1 merge keys on, the parser gives a `<<` key the value Symbol(<<). */
function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol' && pair.key.source === '<<';
}

/** `<<: *anchor` and `<<: [*a, *b]`: earlier maps win, and the map's own keys win over all. */
function readMerges(context: Context, pair: Pair, path: string, fields: Fields): Record<string, unknown> {
  const value = isAlias(pair.value) ? pair.value.resolve(context.document) : pair.value;
  const sources = isSeq(value) ? [...value.items].reverse() : [value];
  const maps = sources.map((source) => {
    const node = (isAlias(source) ? source.resolve(context.document) : source) as Node;
    return readObject(context, node, path, fields);
  });
  return Object.assign({}, ...maps) as Record<string, unknown>;
}

function readObject(context: Context, node: Node, path: string, fields: Fields): Record<string, unknown> {
  if (!isMap(node)) invalid(context, node, `${path === '' ? context.file : path} must be a map`);
  let merged: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const pair of node.items) {
    if (isMergeKey(pair)) {
      merged = { ...merged, ...readMerges(context, pair, path, fields) };
      continue;
    }
    const key = pair.key as Node;
    if (!isScalar(key) || typeof key.value !== 'string') {
      invalid(context, key, `the keys of ${path === '' ? context.file : path} must be strings`);
    }
    const spec = fieldSpec(fields, key.value);
    if (spec === undefined) unknownField(context, key, path, fields as Readonly<Record<string, Spec>>);
    const value = read(context, pair.value, spec, join(path, key.value));
    if (value !== undefined) own[key.value] = value;
  }
  return { ...merged, ...own };
}

/**
 * Parses Rancher Fleet's `fleet.yaml` strictly: an unknown field, a value of the wrong type, or more
 * than one YAML document is a `FLEET_YAML_INVALID` error naming `file:line:column` and the field path
 * (`targetCustomizations[1].helm.valeus`); `helm.valuesFrom` is `FLEET_YAML_UNSUPPORTED`. A field
 * set to null counts as absent. Pure. See fleet-types.ts for what is honoured.
 */
export function parseFleetYaml(text: string, file = 'fleet.yaml'): FleetYaml {
  const { documents, lineCounter } = parseDocuments(text, file);
  if (documents.length > 1) {
    const second = documents[1]?.contents;
    throw new FleetYamlInvalidError(`${at({ file, lineCounter }, second)}: ${file} must hold one YAML document`);
  }
  const document = documents[0];
  if (document === undefined) return {};
  const context: Context = { file, document, lineCounter, budget: MAX_NODES };
  return (read(context, document.contents, FLEET_YAML_SPEC, '') ?? {}) as FleetYaml;
}
