import { groupOf, type KubeObject } from '../objects.js';
import { KIND_RULES } from './health-kinds.js';
import {
  conditions,
  conditionText,
  failed,
  intField,
  progress,
  ready,
  statusOf,
  unknown,
  type HealthResult,
  type Status,
} from './health-status.js';

export type { Health, HealthResult } from './health-status.js';

/** A rule from configuration (a CEL health check) for the object's kind, when one covers it. */
export type CustomHealth = (o: KubeObject) => HealthResult | undefined;

/**
 * The health of one live object, following kstatus (kubernetes-sigs/cli-utils pkg/kstatus/status)
 * step by step: being deleted, generation not yet observed, the standard Reconciling/Stalled
 * conditions on every kind, the rule of its kind, then a Ready condition. kstatus' Current is Ready,
 * NotFound is Unknown; where Flotilla differs on purpose, docs/health.md says so and why.
 * `now` decides grace periods (an unschedulable Pod); `custom` holds configured rules, which take
 * the place of everything after the generation check for the kinds they cover.
 */
export function healthOf(o: KubeObject | null | undefined, now: number, custom?: CustomHealth): HealthResult {
  if (!o) return unknown('not found');
  if (o.metadata.deletionTimestamp) return progress('being deleted');
  const s = statusOf(o);
  const early = generationPending(o, s) ?? custom?.(o) ?? standardConditions(s);
  if (early) return early;
  const group = groupOf(o.apiVersion);
  const rule = KIND_RULES[group ? `${group}/${o.kind}` : o.kind];
  return rule ? rule(o, s, now) : (readyCondition(s) ?? ready);
}

/** kstatus compares them only when both are set, and any difference counts (not only "behind"). */
function generationPending(o: KubeObject, s: Status): HealthResult | undefined {
  const gen = intField(o.metadata.generation);
  const seen = intField(s.observedGeneration);
  if (gen === undefined || seen === undefined || gen === seen) return undefined;
  return progress(`generation ${gen} not yet observed (at ${seen})`);
}

/** Reconciling=True and Stalled=True (the "abnormal-true" conventions), first of them in list order. */
function standardConditions(s: Status): HealthResult | undefined {
  for (const c of conditions(s)) {
    if (c.status !== 'True') continue;
    if (c.type === 'Reconciling') return progress(conditionText(c, 'Reconciling'));
    if (c.type === 'Stalled') return failed(conditionText(c, 'Stalled'));
  }
  return undefined;
}

/** A kind no rule covers: its Ready condition when it has one with a known status. */
function readyCondition(s: Status): HealthResult | undefined {
  const r = conditions(s).find((c) => c.type === 'Ready' && ['True', 'False', 'Unknown'].includes(c.status));
  if (!r) return undefined;
  return r.status === 'True' ? ready : progress(conditionText(r, `Ready is ${r.status}`));
}
