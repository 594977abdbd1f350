import {
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  labelKeyProblem,
  labelValueProblem,
  shown,
  type Labels,
  type LabelsPatch,
} from '@flotilla/proto/api';
import { parseDuration as durationMs, isPlainObject, YAML_OPTIONS } from '@flotilla/common';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.js';

/** The hub's label rule (proto names.ts), checked here too so that a typo fails before any request. */
function checkKey(key: string, given: string): string {
  const problem = labelKeyProblem(key);
  if (problem) {
    throw new UsageError(`${given}: key ${shown(key)} is not a valid label key (${problem})`, { hint: LABEL_KEY_RULE });
  }
  return key;
}

/** `key=value` pairs (repeated flags or comma-separated) into labels; names the bad one. */
export function parseLabels(values: readonly string[], what = '--label'): Labels {
  const out: Labels = {};
  for (const pair of values.flatMap((v) => v.split(','))) {
    const eq = pair.indexOf('=');
    const given = `${what} ${shown(pair)}`;
    if (eq < 0) throw new UsageError(`${given} is not key=value`, { hint: `e.g. ${what} env=prod` });
    const key = checkKey(pair.slice(0, eq).trim(), given);
    const value = pair.slice(eq + 1).trim();
    const problem = labelValueProblem(value);
    if (problem) {
      throw new UsageError(`${given}: value ${shown(value)} is not a valid label value (${problem})`, {
        hint: LABEL_VALUE_RULE,
      });
    }
    out[key] = value;
  }
  return out;
}

/** kubectl-style label edits: `key=value` sets, `key-` removes. */
export function parseLabelPatch(edits: readonly string[]): LabelsPatch {
  const set: Labels = {};
  const remove: string[] = [];
  for (const edit of edits) {
    if (edit.endsWith('-') && !edit.includes('=')) {
      remove.push(checkKey(edit.slice(0, -1), `label ${shown(edit)}`));
    } else {
      Object.assign(set, parseLabels([edit], 'label'));
    }
  }
  if (Object.keys(set).length === 0 && remove.length === 0) {
    throw new UsageError('no label changes given', { hint: 'e.g. `fleet clusters label eu-1 env=prod tier-`' });
  }
  const both = remove.filter((k) => k in set);
  if (both.length > 0) throw new UsageError(`label ${both.join(', ')} is both set and removed`);
  return { ...(Object.keys(set).length > 0 ? { set } : {}), ...(remove.length > 0 ? { remove } : {}) };
}

/** `90`, `90s`, `5m`, `1h30m`, `2d` into milliseconds (@flotilla/common's parseDuration); a bare number is seconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const ms = durationMs(text);
  if (ms === undefined) {
    throw new UsageError(`${what} "${text}" is not a duration`, {
      hint: 'e.g. 90s, 5m, 1h30m (a bare number is seconds)',
    });
  }
  return ms;
}

/** `key=value` pairs into a map of strings for open-ended options (`--auth env=GIT_TOKEN`). */
export function parseKeyValues(values: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of values) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${what} "${pair}" is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Deployment options as typed (`selfHeal=false`, `namespace=web`): booleans and numbers become JSON. */
export function parseOptions(values: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parseKeyValues(values, '--option'))) {
    out[k] = v === 'true' ? true : v === 'false' ? false : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

/** Helm's typing of a `--set` value: true/false, null, integers without a leading zero; else a string. */
function setValue(text: string): unknown {
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null') return null;
  if (/^-?(0|[1-9]\d{0,15})$/.test(text)) return Number(text);
  return text;
}

/**
 * Helm-style `--set key=value` (one pair per flag): a dotted key nests (`ingress.host=x`), `\.` is a
 * literal dot (`annotations.app\.io/x=y`). Later pairs win. Lists (`a[0]`) are not supported: use a
 * values file for them.
 */
export function parseSetValues(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const path = (eq > 0 ? pair.slice(0, eq) : '').split(/(?<!\\)\./).map((k) => k.replace(/\\\./g, '.'));
    if (eq <= 0 || path.some((k) => k === '' || /[[\]]/.test(k))) {
      throw new UsageError(`--set ${shown(pair)} is not key=value with a dotted key`, {
        hint: 'e.g. --set image.tag=1.2.3 (lists: put them in a --values-file)',
      });
    }
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = node[key] = isPlainObject(next) ? next : {};
    }
    node[path.at(-1) as string] = setValue(pair.slice(eq + 1));
  }
  return out;
}

/**
 * A local Helm values file (`--values-file`), read as Helm reads one (sigs.k8s.io/yaml, like kubectl:
 * @flotilla/common's YAML_OPTIONS, which the hub reads fleet.yaml values with too): a map, or nothing
 * for an empty file. `name` is what the user typed, for the message.
 */
export function parseValuesFile(text: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(text, YAML_OPTIONS);
  } catch (error) {
    throw new UsageError(`--values-file ${name}: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(
      `--values-file ${name} must hold a map of Helm values, found ${Array.isArray(value) ? 'a list' : 'a scalar'}`,
    );
  }
  return value as Record<string, unknown>;
}
