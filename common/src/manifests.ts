import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { FlotillaError } from './errors.js';
import { isPlainObject } from './objects.js';
import { parseYamlDocuments, positionOf } from './yaml.js';

/** Valid YAML that is not a manifest: a document that is not a map, a list whose items are not maps. */
export class ManifestInvalidError extends FlotillaError {
  readonly code = 'MANIFEST_INVALID';
}

/** Where a manifest object came from: the file, and the line its document (or list item) starts on. */
export interface ManifestSource {
  readonly file: string;
  readonly line: number;
}

/** One object as read from a file: any JSON map, not yet checked to be a Kubernetes object. */
export interface Manifest {
  readonly object: Record<string, unknown>;
  readonly source: ManifestSource;
}

interface Context {
  readonly file: string;
  readonly document: Document;
  readonly lineCounter: LineCounter;
}

function lineOf(context: Context, node: Node): number {
  return positionOf(context.lineCounter, node.range?.[0]).line;
}

function resolve(context: Context, node: unknown): unknown {
  return isAlias(node) ? node.resolve(context.document) : node;
}

function describeNode(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return `the scalar ${JSON.stringify(node.value)}`;
  return 'something else';
}

function invalid(context: Context, line: number, what: string): never {
  throw new ManifestInvalidError(`${context.file}:${line}: ${what}`);
}

function asMap(context: Context, node: unknown, what: string): YAMLMap {
  const resolved = resolve(context, node) as Node;
  if (!isMap(resolved)) {
    invalid(
      context,
      lineOf(context, resolved),
      `${what} must be a map (a Kubernetes object), found ${describeNode(resolved)}`,
    );
  }
  return resolved;
}

/** JSON, and so the API server, holds no NaN or infinity: refuse `.nan` and `.inf` as kubectl does. */
function checkFinite(context: Context, line: number, value: unknown, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    invalid(context, line, `${path || 'the object'} is ${value}, which JSON cannot hold; quote it if it is a string`);
  }
  if (Array.isArray(value)) value.forEach((item, i) => checkFinite(context, line, item, `${path}[${i}]`));
  else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkFinite(context, line, item, path ? `${path}.${key}` : key);
  }
}

function toObject(context: Context, node: YAMLMap): Manifest {
  const object = node.toJS(context.document) as Record<string, unknown>;
  const source = { file: context.file, line: lineOf(context, node) };
  checkFinite(context, source.line, object, '');
  return { object, source };
}

function kindOf(object: Record<string, unknown>): string {
  return typeof object.kind === 'string' ? object.kind : '';
}

/** The items of a list, each a map; nested lists (an item with an `items` list) flattened too. */
function listItems(context: Context, list: YAMLMap, kind: string): YAMLMap[] {
  const items = resolve(context, list.get('items', true));
  if (items === undefined || (isScalar(items) && items.value === null)) return [];
  if (!isSeq(items)) invalid(context, lineOf(context, list), `the items of a kind: ${kind} must be a list`);
  return items.items.map((item) => asMap(context, item, `an item of a kind: ${kind}`));
}

function hasText(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

/**
 * A list's items, flattened as kubectl's resource builder flattens them: nested lists (an item whose
 * `items` is a list) too (cli-runtime's FlattenListVisitor). An item of the document's own list with
 * neither kind nor apiVersion takes the list's kind without its `List` suffix and the list's
 * apiVersion, as apimachinery's unstructured decoder sets them; items of nested lists do not.
 */
function expandList(context: Context, node: YAMLMap, list: Record<string, unknown>, inherit: boolean): Manifest[] {
  const kind = kindOf(list);
  const itemKind = inherit ? kind.replace(/List$/, '') : '';
  return listItems(context, node, kind).flatMap((itemNode) => {
    let item = toObject(context, itemNode);
    if (itemKind !== '' && !hasText(item.object.kind) && !hasText(item.object.apiVersion)) {
      const apiVersion = hasText(list.apiVersion) ? { apiVersion: list.apiVersion } : {};
      item = { ...item, object: { ...item.object, ...apiVersion, kind: itemKind } };
    }
    return Array.isArray(item.object.items) ? expandList(context, itemNode, item.object, false) : [item];
  });
}

/** One document: a document with an `items` field is a list whatever its kind (apimachinery's
 * unstructured decoder); it needs a kind, and its items are flattened. */
function expandDocument(context: Context, node: YAMLMap): Manifest[] {
  const manifest = toObject(context, node);
  if (!node.has('items')) return [manifest];
  if (kindOf(manifest.object) === '') {
    invalid(context, manifest.source.line, 'a document with items is a list and needs a kind (e.g. kind: List)');
  }
  return expandList(context, node, manifest.object, true);
}

/**
 * The objects of one YAML or JSON file, read as `kubectl apply -f` reads it: every non-empty
 * document, lists flattened, each tagged with `file` and the line its document (or list item)
 * starts on. Errors name `file:line`. Pure.
 */
export function parseManifests(text: string, file: string): Manifest[] {
  const { documents, lineCounter } = parseYamlDocuments(text, file);
  return documents.flatMap((document) => {
    const contents = document.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return [];
    const context: Context = { file, document, lineCounter };
    return expandDocument(context, asMap(context, contents, 'a manifest document'));
  });
}
