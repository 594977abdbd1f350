/**
 * What a value from a repository may look like before it reaches a tool's command line. Each value
 * is also passed as `--flag=value` or after `--`, so none can become a flag; these rules make a bad
 * value an error that names the field, instead of whatever the tool makes of it.
 */
export interface ArgRule {
  readonly pattern: RegExp;
  readonly maxLength: number;
  /** For messages: "a DNS-1123 name (lowercase letters, digits, '-' and '.'), at most 53 characters". */
  readonly describe: string;
}

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

export const ARG_RULES = {
  /** Helm's own rule for release names (helm/pkg/chartutil ValidateReleaseName). */
  releaseName: {
    pattern: new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`),
    maxLength: 53,
    describe:
      "a DNS-1123 name (lowercase letters, digits, '-' and '.', starting and ending alphanumeric), at most 53 characters",
  },
  namespace: {
    pattern: new RegExp(`^${DNS_LABEL}$`),
    maxLength: 63,
    describe:
      "a DNS-1123 label (lowercase letters, digits and '-', starting and ending alphanumeric), at most 63 characters",
  },
  /** A chart version or a semver constraint (">= 1.2, < 2"). */
  chartVersion: {
    pattern: /^[A-Za-z0-9^~=<>*!.][A-Za-z0-9.+_~^*<>=!, |-]*$/,
    maxLength: 128,
    describe: 'a chart version or semver constraint (letters, digits and . + _ ~ ^ * < > = ! , | - and spaces)',
  },
  /** A chart's name in a chart repository. */
  chartName: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    maxLength: 250,
    describe: "a chart name (letters, digits, '.', '_' and '-', starting with a letter or digit)",
  },
  kubeVersion: {
    pattern: /^v?\d{1,4}\.\d{1,4}(\.\d{1,6})?([-+][0-9A-Za-z.-]{1,64})?$/,
    maxLength: 90,
    describe: 'a Kubernetes version such as v1.31.4',
  },
} as const satisfies Record<string, ArgRule>;

export type ArgRuleName = keyof typeof ARG_RULES;

/** Why `value` breaks `rule`, or undefined when it is fine. */
export function argProblem(value: string, rule: ArgRule): string | undefined {
  if (value.length > rule.maxLength) return `is ${value.length} characters long; it must be ${rule.describe}`;
  if (!rule.pattern.test(value)) return `must be ${rule.describe}`;
  return undefined;
}
