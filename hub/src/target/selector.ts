import { FlotillaError } from '@flotilla/proto';

/** One requirement of a Kubernetes label selector. */
export type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | 'doesnotexist' };

export type Labels = Readonly<Record<string, string>>;

export class SelectorSyntaxError extends FlotillaError {
  readonly code = 'SELECTOR_SYNTAX';
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw new SelectorSyntaxError(`label selector "${selector}": "${key}" is not a valid label key`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (value.length > 63 || !VALUE.test(value)) {
    throw new SelectorSyntaxError(`label selector "${selector}": "${value}" is not a valid label value`);
  }
  return value;
}

function parseRequirement(part: string, selector: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim(), selector));
    return { key: checkKey(set[1] ?? '', selector), op: set[2] as 'in' | 'notin', values };
  }
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (eq) {
    const key = checkKey(eq[1] ?? '', selector);
    const value = checkValue(eq[3] ?? '', selector);
    return { key, op: eq[2] === '!=' ? 'notin' : 'in', values: [value] };
  }
  if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), selector), op: 'doesnotexist' };
  if (/^\S+$/.test(part)) return { key: checkKey(part, selector), op: 'exists' };
  throw new SelectorSyntaxError(
    `label selector "${selector}": cannot read "${part}"; use key=value, key!=value, key in (a,b), key notin (a,b), key or !key`,
  );
}

/** Parses `env=prod,region in (eu,us),!canary`. The empty selector matches every cluster. */
export function parseSelector(selector: string): Requirement[] {
  return splitTopLevel(selector).map((part) => parseRequirement(part, selector));
}

export function matches(requirements: readonly Requirement[], labels: Labels): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'doesnotexist':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key] ?? '');
      case 'notin':
        return !has || !r.values.includes(labels[r.key] ?? '');
    }
  });
}

/** Kubernetes' structured form (matchLabels + matchExpressions), as used by Fleet and CRDs. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export function fromLabelSelector(s: LabelSelector): Requirement[] {
  const reqs: Requirement[] = Object.entries(s.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] }));
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator.toLowerCase() as Requirement['op'];
    reqs.push(op === 'in' || op === 'notin' ? { key: e.key, op, values: e.values ?? [] } : { key: e.key, op });
  }
  return reqs;
}
