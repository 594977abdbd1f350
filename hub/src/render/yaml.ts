import { LineCounter, parseAllDocuments, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import type { YAMLError } from 'yaml';
import { YamlSyntaxError } from './errors.js';

/**
 * Manifests and fleet.yaml are read as YAML 1.1, the way kubectl, Helm and Fleet read them
 * (sigs.k8s.io/yaml on go-yaml v2): `defaultMode: 0644` is octal 420, `yes`/`on` are booleans, and
 * `<<` merge keys work. Timestamps are left as strings: Kubernetes wants strings, and a bundle
 * cannot hold a Date. Duplicate map keys are an error.
 */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  prettyErrors: false,
  uniqueKeys: true,
  customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
};

export interface Position {
  readonly line: number;
  readonly column: number;
}

export function positionOf(lineCounter: LineCounter, offset: number | undefined): Position {
  const { line, col } = lineCounter.linePos(offset ?? 0);
  return { line, column: col };
}

export function syntaxError(file: string, lineCounter: LineCounter, error: YAMLError): YamlSyntaxError {
  const { line, column } = positionOf(lineCounter, error.pos[0]);
  return new YamlSyntaxError(`${file}:${line}:${column}: ${error.message}`, { cause: error });
}

/** Parses every document of `text`, throwing a `RENDER_YAML_SYNTAX` error for the first problem. */
export function parseDocuments(text: string, file: string) {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter });
  if (!Array.isArray(documents)) {
    // parseAllDocuments returns an EmptyStream for a text with no documents.
    return { documents: [], lineCounter };
  }
  for (const document of documents) {
    const first = document.errors[0];
    if (first !== undefined) throw syntaxError(file, lineCounter, first);
  }
  return { documents, lineCounter };
}
