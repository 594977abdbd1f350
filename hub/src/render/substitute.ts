import { TemplateError } from './errors.js';

/** What a `${ }` expression can read about a cluster. */
export interface TemplateCluster {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/*
 * Fleet templates Helm values with Go templates between `${` and `}`. Flotilla evaluates the small,
 * safe subset people use, and nothing else (no functions beyond these, no loops, no I/O):
 *
 *   ${ .ClusterName }
 *   ${ .ClusterLabels.env }                   a label whose key is a Go identifier
 *   ${ get .ClusterLabels "example.com/env" } any label key
 *   ${ default "eu" .ClusterLabels.region }   the default when the label is missing or empty
 *   ${ default "eu" (get .ClusterLabels "example.com/region") }
 *   ${ "${" }                                 a string literal: how to write a literal `${`
 *
 * A missing label without a default is an error naming the key (Go's `get` would yield ""; an empty
 * value silently deployed is worse than a render error). Map keys are templated as well as values,
 * as in Fleet; the result of a substitution is always a string.
 */

const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const EXPRESSION = new RegExp(String.raw`\$\{((?:[^}"]|${STRING})*)\}`, 'g');
const CLUSTER_NAME = /^\.ClusterName$/;
const LABEL_FIELD = /^\.ClusterLabels\.([A-Za-z_][A-Za-z0-9_]*)$/;
const LABEL_GET = new RegExp(String.raw`^get\s+\.ClusterLabels\s+(${STRING})$`);
const DEFAULT = new RegExp(String.raw`^default\s+(${STRING})\s+(.+)$`, 's');
const LITERAL = new RegExp(String.raw`^(${STRING})$`);

interface Lookup {
  readonly value: string | undefined;
  readonly label?: string;
}

function unparenthesize(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('(') && trimmed.endsWith(')') ? trimmed.slice(1, -1).trim() : trimmed;
}

function stringLiteral(literal: string, path: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch (cause) {
    throw new TemplateError(`${path}: cannot read the string ${literal}`, { cause });
  }
}

/** An operand: the cluster name, a label, or a string literal; undefined if not one of these. */
function lookup(operand: string, cluster: TemplateCluster, path: string): Lookup | undefined {
  const text = unparenthesize(operand);
  if (CLUSTER_NAME.test(text)) return { value: cluster.name };
  const literal = LITERAL.exec(text);
  if (literal) return { value: stringLiteral(literal[1] ?? '""', path) };
  const field = LABEL_FIELD.exec(text);
  const get = field ? undefined : LABEL_GET.exec(text);
  const label = field?.[1] ?? (get?.[1] === undefined ? undefined : stringLiteral(get[1], path));
  if (label === undefined) return undefined;
  return { value: Object.hasOwn(cluster.labels, label) ? cluster.labels[label] : undefined, label };
}

function evaluate(expression: string, cluster: TemplateCluster, path: string): string {
  const withDefault = DEFAULT.exec(expression.trim());
  const found = lookup(withDefault?.[2] ?? expression, cluster, path);
  if (found === undefined) {
    throw new TemplateError(
      `${path}: cannot evaluate \${${expression}}; supported: .ClusterName, .ClusterLabels.key, ` +
        'get .ClusterLabels "key", default "value" <one of those>',
    );
  }
  if (withDefault) return found.value || stringLiteral(withDefault[1] ?? '""', path);
  if (found.value !== undefined) return found.value;
  throw new TemplateError(
    `${path}: cluster "${cluster.name}" has no label "${found.label}"; ` +
      `label the cluster or give a default: \${ default "value" (get .ClusterLabels "${found.label}") }`,
  );
}

function literalText(text: string, path: string): string {
  if (text.includes('${'))
    throw new TemplateError(`${path}: a "\${" is never closed with "}" in ${JSON.stringify(text)}`);
  return text;
}

function substituteString(text: string, cluster: TemplateCluster, path: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(EXPRESSION)) {
    out += literalText(text.slice(last, match.index), path) + evaluate(match[1] ?? '', cluster, path);
    last = match.index + match[0].length;
  }
  return out + literalText(text.slice(last), path);
}

function substituteMap(map: Record<string, unknown>, cluster: TemplateCluster, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(map)) {
    const key = substituteString(rawKey, cluster, `${path} (key "${rawKey}")`);
    if (Object.hasOwn(out, key))
      throw new TemplateError(`${path}: two keys become "${key}" for cluster "${cluster.name}"`);
    out[key] = substituteClusterValues(value, cluster, `${path}.${key}`);
  }
  return out;
}

/**
 * Evaluates the `${ }` expressions in every string (and map key) of `value` for `cluster`, Fleet
 * style. Pure: returns a new value, leaves non-strings alone. `path` names the value in errors.
 */
export function substituteClusterValues<T>(value: T, cluster: TemplateCluster, path = 'helm.values'): T {
  if (typeof value === 'string') return substituteString(value, cluster, path) as T;
  if (Array.isArray(value)) return value.map((item, i) => substituteClusterValues(item, cluster, `${path}[${i}]`)) as T;
  if (typeof value === 'object' && value !== null) {
    return substituteMap(value as Record<string, unknown>, cluster, path) as T;
  }
  return value;
}
