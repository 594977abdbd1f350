/**
 * Cluster names, label keys and label values: one rule, used by the hub's API, `flotilla-hub tokens
 * create`, registration, label selectors and the `fleet` CLI. Kubernetes' own syntax and lengths:
 * a cluster name becomes a NATS subject token, a file name, a certificate name and a column in the
 * CLI's tables, so nothing outside these characters (no '.', '/', spaces or control characters) gets in.
 */
import { FlotillaError } from './errors.js';

/** A name, key or value that breaks its rule; `field` is where it was given (`name`, `labels`, `--label`). */
export class InvalidNameError extends FlotillaError {
  readonly code = 'INVALID';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_CLUSTER_NAME = 63;
export const MAX_LABEL_NAME = 63;
export const MAX_LABEL_PREFIX = 253;
export const MAX_LABEL_VALUE = 63;
export const MAX_REPORTED_FACT = 64;

/** DNS-1123 label (a Kubernetes namespace name): the cluster name is also its NATS subject token. */
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VERSION = /^[A-Za-z0-9][-A-Za-z0-9_.+]*$/;

export const CLUSTER_NAME_RULE =
  'a cluster name is a DNS-1123 label: 1 to 63 lowercase letters, digits and "-", starting and ending with a letter or digit';
export const LABEL_KEY_RULE =
  'a label key is an optional DNS subdomain prefix (at most 253 lowercase letters, digits, "-" and ".") and "/", ' +
  'then a name of 1 to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
export const LABEL_VALUE_RULE =
  'a label value is empty or 1 to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
const REPORTED_FACT_RULE = 'at most 64 letters, digits, "-", "_", "." and "+", starting with a letter or digit';

// Control characters (C0, DEL, C1), and Unicode line separators and direction overrides that reorder
// what a terminal shows.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const SHOWN_CHARS = 80;

/**
 * A value as an error message may show it: quoted, control characters escaped (`\u001b`), and cut
 * after 80 characters with its length, so a 100 KB value makes a short message.
 */
export function shown(value: string): string {
  const cut = value.length > SHOWN_CHARS ? value.slice(0, SHOWN_CHARS) : value;
  const escaped = cut
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return value.length > SHOWN_CHARS ? `"${escaped}…" (${value.length} characters)` : `"${escaped}"`;
}

/** Why `name` is not a cluster name, or undefined when it is one. */
export function clusterNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_CLUSTER_NAME) return `it has ${name.length} characters, more than ${MAX_CLUSTER_NAME}`;
  if (!CLUSTER_NAME.test(name)) return 'it has characters or a form outside the rule';
  return undefined;
}

/** Why `key` is not a label key, or undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix.length === 0 || prefix.length > MAX_LABEL_PREFIX || !DNS_SUBDOMAIN.test(prefix)) {
      return `its prefix ${shown(prefix)} is not a DNS subdomain of at most ${MAX_LABEL_PREFIX} characters`;
    }
  }
  if (name.length === 0) return 'its name is empty';
  if (name.length > MAX_LABEL_NAME) return `its name has ${name.length} characters, more than ${MAX_LABEL_NAME}`;
  if (!QUALIFIED.test(name)) return 'its name has characters or a form outside the rule';
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one (the empty value is one). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > MAX_LABEL_VALUE) return `it has ${value.length} characters, more than ${MAX_LABEL_VALUE}`;
  if (value.length > 0 && !QUALIFIED.test(value)) return 'it has characters or a form outside the rule';
  return undefined;
}

/** The cluster name, or an InvalidNameError naming `field`, the escaped value and the rule. */
export function checkClusterName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string') throw new InvalidNameError(field, `${field}: a cluster name must be a string`);
  const problem = clusterNameProblem(name);
  if (problem) {
    throw new InvalidNameError(
      field,
      `${field}: ${shown(name)} is not a valid cluster name (${problem}); ${CLUSTER_NAME_RULE}`,
    );
  }
  return name;
}

export function checkLabelKey(key: string, field = 'labels'): string {
  const problem = labelKeyProblem(key);
  if (problem) {
    throw new InvalidNameError(
      field,
      `${field}: key ${shown(key)} is not a valid label key (${problem}); ${LABEL_KEY_RULE}`,
    );
  }
  return key;
}

export function checkLabelValue(key: string, value: unknown, field = 'labels'): string {
  if (typeof value !== 'string') {
    throw new InvalidNameError(field, `${field}: the value of ${shown(key)} must be a string`);
  }
  const problem = labelValueProblem(value);
  if (problem) {
    throw new InvalidNameError(
      field,
      `${field}: the value ${shown(value)} of ${shown(key)} is not a valid label value (${problem}); ${LABEL_VALUE_RULE}`,
    );
  }
  return value;
}

/** Every key and value checked; the first bad one is named. */
export function checkLabels(labels: unknown, field = 'labels'): Record<string, string> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidNameError(field, `${field}: labels must be an object of key to value`);
  }
  for (const [key, value] of Object.entries(labels)) {
    checkLabelKey(key, field);
    checkLabelValue(key, value, field);
  }
  return labels as Record<string, string>;
}

/**
 * What an agent reports about itself (its version, its Kubernetes version): shown in tables and passed
 * to `helm --kube-version`, so held to a version's characters. The value, or an InvalidNameError.
 */
export function checkReportedFact(value: string, field: string): string {
  if (value.length > MAX_REPORTED_FACT || !VERSION.test(value)) {
    throw new InvalidNameError(field, `${field}: ${shown(value)} is not a version: ${REPORTED_FACT_RULE}`);
  }
  return value;
}
