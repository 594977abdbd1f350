import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import type { JsonObject, ManifestObject } from '../bundle/index.js';
import { InvalidManifestError } from './errors.js';
import { parseDocuments, positionOf } from './yaml.js';

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

function notAMap(context: Context, node: Node, what: string): never {
  throw new InvalidManifestError(
    `${context.file}:${lineOf(context, node)}: ${what} must be a map (a Kubernetes object), found ${describeNode(node)}`,
  );
}

/** A map node, or the items of a `kind: List` (recursively, as kubectl flattens nested lists). */
function expand(context: Context, node: YAMLMap): ManifestObject[] {
  const object = node.toJS(context.document) as JsonObject;
  const source = { file: context.file, line: lineOf(context, node) };
  if (object.kind !== 'List') return [{ object, source }];
  const items = resolve(context, node.get('items', true));
  if (items === undefined || (isScalar(items) && items.value === null)) return [];
  if (!isSeq(items)) {
    throw new InvalidManifestError(`${context.file}:${source.line}: the items of a kind: List must be a list`);
  }
  return items.items.flatMap((item) => {
    const resolved = resolve(context, item) as Node;
    if (!isMap(resolved)) notAMap(context, resolved, 'an item of a kind: List');
    return expand(context, resolved);
  });
}

/**
 * The objects of one YAML or JSON file: every non-empty document, `kind: List` items expanded, each
 * tagged with `file` and the line its document (or List item) starts on. Pure.
 */
export function parseManifests(text: string, file: string): ManifestObject[] {
  const { documents, lineCounter } = parseDocuments(text, file);
  return documents.flatMap((document) => {
    const contents = document.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return [];
    const context: Context = { file, document, lineCounter };
    const node = resolve(context, contents) as Node;
    if (!isMap(node)) notAMap(context, node, 'a manifest document');
    return expand(context, node);
  });
}
