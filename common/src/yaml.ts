import {
  LineCounter,
  parseAllDocuments,
  type Document,
  type DocumentOptions,
  type ParseOptions,
  type ScalarTag,
  type SchemaOptions,
  type Tags,
  type YAMLError,
} from 'yaml';
import { stringifyNumber } from 'yaml/util';
import { FlotillaError } from './errors.js';

/** The YAML parser refused a file; the message starts with `file:line:column`. */
export class ManifestSyntaxError extends FlotillaError {
  readonly code = 'MANIFEST_YAML_SYNTAX';
}

/*
 * kubectl reads manifests with sigs.k8s.io/yaml, which resolves plain scalars with its fork of go-yaml
 * v2 (sigs.k8s.io/yaml/goyaml.v2/resolve.go) and turns the result into JSON. That is YAML 1.1 for
 * booleans (y, yes, on, off, ...) and null (~), but numbers follow Go's strconv, not the 1.1 spec:
 *   - an integer is whatever strconv.ParseInt(s, 0, 64) takes once every `_` is removed: `0644` and
 *     `0o644` are octal 420, `0x1F` and `0X1F` hex, `0b101` binary;
 *   - otherwise a float when it matches `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (again
 *     without `_`); a scalar that starts with `.` must parse as a Go float as it is (`.5`, not `.`);
 *   - base-60 numbers (`1:20`) are strings ("purposefully not supported"), and so is anything else.
 * Timestamps also stay strings: go-yaml hands a timestamp-looking scalar to an interface{} as its
 * text, and Kubernetes wants strings. These tags replace the `yaml` package's 1.1 int, float and
 * timestamp tags, which read `1:20` as 80, `.` as NaN and `0o644` as a string.
 */
const D = '(?:[0-9]_*)';
const SIGN = '(?:[-+]_*)?';
const GO_INT = new RegExp(
  `^${SIGN}(?:0_*[xX]_*(?:[0-9a-fA-F]_*)+|0_*[oO]_*(?:[0-7]_*)+|0_*[bB]_*(?:[01]_*)+|0_*(?:[0-7]_*)*|[1-9]_*${D}*)$`,
);
const GO_FLOAT = new RegExp(
  `^(?:(?:[-+]_*(?:\\._*${D}+|${D}+(?:\\._*${D}*)?)|${D}+(?:\\._*${D}*)?)(?:[eE]_*${SIGN}${D}+)?|\\.[0-9]+(?:[eE][-+]?[0-9]+)?)$`,
);

function goInt(source: string): number {
  const plain = source.replace(/_/g, '');
  const negative = plain.startsWith('-');
  const digits = plain.replace(/^[-+]/, '');
  const prefix = digits.slice(0, 2).toLowerCase();
  const radix =
    prefix === '0x' ? 16 : prefix === '0o' ? 8 : prefix === '0b' ? 2 : digits.length > 1 && digits[0] === '0' ? 8 : 10;
  const body = radix === 10 || (radix === 8 && prefix !== '0o') ? digits : digits.slice(2);
  const value = radix === 10 ? Number(body) : parseInt(body, radix);
  return negative ? -value : value;
}

const goTags: ScalarTag[] = [
  {
    identify: (value) => typeof value === 'number' && Number.isInteger(value),
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: GO_INT,
    resolve: goInt,
    stringify: stringifyNumber,
  },
  {
    identify: (value) => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: GO_FLOAT,
    resolve: (source) => Number(source.replace(/_/g, '')),
    stringify: stringifyNumber,
  },
  {
    identify: (value) => typeof value === 'number' && !Number.isFinite(value),
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (source) =>
      source.endsWith('nan') || source.endsWith('NaN') || source.endsWith('NAN')
        ? Number.NaN
        : source.startsWith('-')
          ? Number.NEGATIVE_INFINITY
          : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber,
  },
];

const REPLACED = new Set(['tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);

function kubectlTags(tags: Tags): Tags {
  return [...tags.filter((tag) => typeof tag === 'string' || !REPLACED.has(tag.tag)), ...goTags];
}

/**
 * Manifests, fleet.yaml and Helm values are read the way kubectl and Helm read them (see above):
 * YAML 1.1 booleans and `<<` merge keys, Go's numbers, timestamps as strings. Unlike kubectl, a
 * duplicate map key is an error rather than the last one silently winning.
 */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  prettyErrors: false,
  uniqueKeys: true,
  customTags: kubectlTags,
};

export interface Position {
  readonly line: number;
  readonly column: number;
}

export function positionOf(lineCounter: LineCounter, offset: number | undefined): Position {
  const { line, col } = lineCounter.linePos(offset ?? 0);
  return { line, column: col };
}

function syntaxError(file: string, lineCounter: LineCounter, error: YAMLError): ManifestSyntaxError {
  const { line, column } = positionOf(lineCounter, error.pos[0]);
  return new ManifestSyntaxError(`${file}:${line}:${column}: ${error.message.split('\n')[0]}`, { cause: error });
}

export interface YamlDocuments {
  readonly documents: Document.Parsed[];
  readonly lineCounter: LineCounter;
}

/** Parses every document of `text`, throwing a `ManifestSyntaxError` (file:line:column) for the first problem. */
export function parseYamlDocuments(text: string, file: string): YamlDocuments {
  const lineCounter = new LineCounter();
  // An EmptyStream (no documents) is an empty array too.
  const documents: Document.Parsed[] = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter });
  for (const document of documents) {
    const first = document.errors[0];
    if (first !== undefined) throw syntaxError(file, lineCounter, first);
  }
  return { documents, lineCounter };
}
