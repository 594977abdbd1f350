import {
  BUNDLE_STATES,
  toWireState,
  worstState,
  type BundleStateName,
  type DeploymentStatus,
  type ObjectStatus,
} from '@flotilla/proto';
import { messageOf } from '../errors.js';
import { formatRef, type ObjectRef } from '../objects.js';
import type { Change, ObjectResult } from './changes.js';
import { describeDrift, type DriftRecord } from './drift.js';
import type { Health, HealthResult } from './health.js';

export interface ObjectReport {
  ref: ObjectRef;
  change: Change;
  reason: string;
  health: Health;
  /** The apiserver's message for a failure, or why the object is not ready. */
  message: string;
  state: BundleStateName;
}

/** What the agent last saw of one deployment (the wire's DeploymentStatus, before it is cut to size). */
export interface DeploymentReport {
  /** `environment/target`. */
  deployment: string;
  /** The bundle it runs. */
  digest?: string;
  state: BundleStateName;
  message: string;
  objects: ObjectReport[];
  drift: DriftRecord[];
  observedAt: number;
  /** A failed apply's next attempt (the enforcer schedules it); absent when the deployment is not failing. */
  retry?: RetryInfo;
}

/** The next apply of a bundle whose apply failed, as the agent reports it. */
export interface RetryInfo {
  /** Applies in a row that failed: 1 after the first failure. */
  attempt: number;
  /** When the next apply runs, in ms since the epoch. */
  at: number;
  /** The failure it retries: the first object refused, with the apiserver's words. */
  reason: string;
}

/** The state one object pulls its bundle towards. */
export function objectState(change: Change, health: Health, drifted: boolean): BundleStateName {
  if (change === 'failed') return 'ErrApplied';
  if (change === 'deleted') return 'Ready';
  if (drifted) return 'Modified';
  if (health === 'Unknown') return 'Pending';
  return health === 'Ready' ? 'Ready' : 'NotReady';
}

/** Folds results, health and drift into the bundle's state, naming the objects that hold it back. */
export function foldReport(
  deployment: string,
  results: readonly ObjectResult[],
  health: ReadonlyMap<string, HealthResult>,
  drift: readonly DriftRecord[],
  now: number,
  digest?: string,
): DeploymentReport {
  const uncorrected = new Map(drift.filter((d) => !d.corrected).map((d) => [formatRef(d.ref), d]));
  // Removals and skipped removals say nothing about the bundle's state, unless they failed.
  const relevant = (r: ObjectResult) =>
    r.change === 'failed' || uncorrected.has(formatRef(r.ref)) || (r.action !== 'delete' && r.action !== 'skip');
  const objects = results.filter(relevant).map((r): ObjectReport => {
    const h = health.get(r.key) ?? { health: 'Unknown' as const, message: '' };
    const drifted = uncorrected.has(formatRef(r.ref));
    const state = objectState(r.change, h.health, drifted);
    const d = uncorrected.get(formatRef(r.ref));
    const message = r.error ? messageOf(r.error) : d ? describeDrift(d) : h.message;
    return { ref: r.ref, change: r.change, reason: r.reason, health: h.health, message, state };
  });
  const state = worstState(objects.map((o) => o.state));
  return {
    deployment,
    ...(digest ? { digest } : {}),
    state,
    message: explain(state, objects),
    objects,
    drift: [...drift],
    observedAt: now,
  };
}

function explain(state: BundleStateName, objects: readonly ObjectReport[]): string {
  if (state === 'Ready') return `${objects.length} objects ready`;
  const culprits = objects.filter((o) => o.state === state);
  const shown = culprits.slice(0, 3).map((o) => `${formatRef(o.ref)}: ${o.message || o.reason}`);
  const more = culprits.length > shown.length ? `; and ${culprits.length - shown.length} more` : '';
  return `${shown.join('; ')}${more}`;
}

const CHANGE_WIRE: Record<Change, ObjectStatus['change']> = {
  created: 'OBJECT_CHANGE_CREATED',
  configured: 'OBJECT_CHANGE_CONFIGURED',
  unchanged: 'OBJECT_CHANGE_UNCHANGED',
  deleted: 'OBJECT_CHANGE_DELETED',
  skipped: 'OBJECT_CHANGE_SKIPPED',
  failed: 'OBJECT_CHANGE_FAILED',
};

const HEALTH_WIRE: Record<Health, ObjectStatus['health']> = {
  Ready: 'OBJECT_HEALTH_READY',
  InProgress: 'OBJECT_HEALTH_IN_PROGRESS',
  Failed: 'OBJECT_HEALTH_FAILED',
  Unknown: 'OBJECT_HEALTH_UNKNOWN',
};

/**
 * At most this many objects in a status: the ones not ready, worst first. A failing 500-object chart
 * still sends a bounded message; the counts cover every object.
 */
export const WIRE_OBJECTS_MAX = 100;

/**
 * The proto's DeploymentStatus: every object counted, the ones not ready listed (worst first, in apply
 * order within a state). A routine report of a healthy bundle lists none, whatever its size: the hub
 * decodes each listed object (about 0.7 µs apiece), and most reports are of healthy bundles.
 */
export function toWireStatus(r: DeploymentReport, generation = 0): DeploymentStatus {
  const behind = r.objects.filter((o) => o.state !== 'Ready');
  const listed = behind
    .map((o, i) => ({ o, i, rank: BUNDLE_STATES.indexOf(o.state) }))
    .sort((a, b) => b.rank - a.rank || a.i - b.i)
    .slice(0, WIRE_OBJECTS_MAX);
  return {
    deployment: r.deployment,
    digest: r.digest ?? '',
    generation,
    state: toWireState(r.state),
    message: r.message,
    objects: listed.map(({ o }) => ({
      object: { ...o.ref },
      change: CHANGE_WIRE[o.change],
      health: HEALTH_WIRE[o.health],
      message: o.message,
      state: toWireState(o.state),
    })),
    objectsTotal: r.objects.length,
    objectsReady: r.objects.length - behind.length,
    observedAtUnixMs: r.observedAt,
    ...(r.retry ? { retryAttempt: r.retry.attempt, retryAtUnixMs: r.retry.at, retryReason: r.retry.reason } : {}),
  };
}
