import type { DeploymentKey } from '@flotilla/common';
import { BUNDLE_STATES, type BundleStateName } from '@flotilla/proto';
import type { DeploymentObjects, NotReadyObject } from '@flotilla/proto/api';
import { inTransaction, type Db } from './db.js';
import { guarded, StoreCorruptError, StoreInvalidError, StoreNotFoundError, StoreReferenceError } from './errors.js';
import { compact, decodeArray, decodeObject, encode, type JsonObject } from './json.js';
import { filteredQuery } from './query.js';
import type { DesiredChangeSink } from './desired-changes.js';

export type { DeploymentKey };

/** One bundle on one cluster, with the state its agent last reported for the current generation. */
export interface Deployment extends DeploymentKey {
  bundle: string;
  /** Deploy options for the agent (namespaces, self-heal, ignore rules); part of what is desired. */
  options: JsonObject;
  /** The Git commit the bundle was rendered from. */
  revision?: string;
  /** Increases each time the desired bundle changes; reports for other generations are ignored. */
  generation: number;
  state: BundleStateName;
  message: string;
  updatedAt: string;
  /** When the current generation began (its bundle or options last changed). */
  generationAt?: string;
  /** When the current generation first reached Ready or ErrApplied: its rollout settled. */
  settledAt?: string;
  /** Per-object health from the last report on this generation; absent until one names its objects. */
  objects?: DeploymentObjects;
  /** How many times someone asked for it to be applied again now (absent: never); sent with its desired state. */
  retryRequests?: number;
  /** Its apply failed: the agent's next attempt, as it last reported it. */
  retry?: DeploymentRetry;
}

/** A failed apply the agent retries with backoff. */
export interface DeploymentRetry {
  /** Applies in a row that failed. */
  attempt: number;
  /** When the agent applies it next (ISO 8601). */
  at: string;
  /** The failure it retries. */
  reason: string;
}

export interface DesiredDeployment extends DeploymentKey {
  bundle: string;
  options?: JsonObject;
  revision?: string;
}

export interface DeploymentReport extends DeploymentKey {
  generation: number;
  state: BundleStateName;
  message?: string;
  /** The agent's per-object health, summarized; absent: not known (what was known is cleared). */
  objects?: DeploymentObjects;
  /** The agent's next attempt of a failed apply; absent: none (what was known is cleared). */
  retry?: DeploymentRetry;
}

export interface DeploymentFilter {
  cluster?: string;
  target?: string;
  environment?: string;
  state?: BundleStateName;
}

export interface DeploymentStore {
  /**
   * Sets the bundle a cluster must run for (target, environment). A different bundle starts a new
   * generation in state Pending; the same bundle keeps generation and state (only the revision moves).
   * Cluster, target, environment and bundle must exist (STORE_REFERENCE).
   */
  setDesired(desired: DesiredDeployment): Deployment;
  /**
   * Records an agent's report. Only a report for the current generation is recorded; any other is
   * stale and leaves the deployment as it is (`recorded: false`). STORE_NOT_FOUND when there is none.
   */
  recordStatus(report: DeploymentReport): StatusRecord;
  /**
   * A Ready or ErrApplied report for a generation already settled (an agent's routine report): one
   * statement, nothing to settle. Undefined, with nothing written, when the generation is not
   * settled yet or the report does not match it: then `recordStatus` (in a transaction) is the way.
   */
  recordResettled(report: DeploymentReport): StatusRecord | undefined;
  get(key: DeploymentKey): Deployment | undefined;
  /** True when a deployment on the cluster has this bundle (who may fetch which bundle). */
  uses(cluster: string, digest: string): boolean;
  /** Ordered by cluster, target, environment. */
  list(filter?: DeploymentFilter): Deployment[];
  /**
   * Asks the agents to apply these deployments again now (`fleet deployments retry`): raises each
   * one's retry counter, which goes out with its desired state. Returns those that exist, as they are now.
   */
  requestRetry(keys: readonly DeploymentKey[]): Deployment[];
  delete(key: DeploymentKey): boolean;
}

export interface StatusRecord {
  recorded: boolean;
  deployment: Deployment;
  /** Set when this report is the first to settle the generation (Ready or ErrApplied). */
  settled?: { state: BundleStateName; durationMs: number };
}

/** States that settle a rollout: it reached its goal, or it failed to apply. */
export const SETTLED_STATES: readonly BundleStateName[] = ['Ready', 'ErrApplied'];

/** The state of a deployment nobody has reported on yet. */
export const INITIAL_STATE: BundleStateName = 'Pending';

export interface DeploymentRow {
  cluster: string;
  target: string;
  environment: string;
  bundle_digest: string;
  options: string;
  revision: string | null;
  generation: number;
  state: string;
  message: string;
  updated_at: string;
  generation_at: string | null;
  settled_at: string | null;
  objects_total: number | null;
  objects_ready: number | null;
  not_ready: string | null;
  retry_requests: number;
  retry_attempt: number | null;
  retry_at: string | null;
  retry_reason: string | null;
}

export function isBundleState(value: string): value is BundleStateName {
  return (BUNDLE_STATES as readonly string[]).includes(value);
}

export function describeDeployment(key: DeploymentKey): string {
  return `deployment of target "${key.target}" (environment "${key.environment}") on cluster "${key.cluster}"`;
}

export function deploymentFromRow(row: DeploymentRow): Deployment {
  const state = row.state;
  if (!isBundleState(state)) throw new StoreCorruptError(`${describeDeployment(row)}: unknown state "${state}"`);
  return compact({
    cluster: row.cluster,
    target: row.target,
    environment: row.environment,
    bundle: row.bundle_digest,
    options: decodeObject(row.options, describeDeployment(row) + ' options'),
    revision: row.revision ?? undefined,
    generation: row.generation,
    state,
    message: row.message,
    updatedAt: row.updated_at,
    generationAt: row.generation_at ?? undefined,
    settledAt: row.settled_at ?? undefined,
    objects: objectsFromRow(row),
    retryRequests: row.retry_requests > 0 ? row.retry_requests : undefined,
    retry:
      row.retry_at === null
        ? undefined
        : { attempt: row.retry_attempt ?? 0, at: row.retry_at, reason: row.retry_reason ?? '' },
  });
}

function objectsFromRow(row: DeploymentRow): DeploymentObjects | undefined {
  if (row.objects_total === null) return undefined;
  const notReady =
    row.not_ready === null ? [] : decodeArray(row.not_ready, `${describeDeployment(row)} not-ready objects`);
  // Written by this store only (summarizeObjects' shape): read back as it was written.
  return { total: row.objects_total, ready: row.objects_ready ?? 0, notReady: notReady as unknown as NotReadyObject[] };
}

/**
 * A recorded report. The deployment is read only when asked for: reports are many, and their folding
 * rarely needs it. (A class: an object literal with a getter cost about as much as the report's UPDATE.)
 */
class Recorded implements StatusRecord {
  readonly recorded = true;
  readonly settled?: StatusRecord['settled'];
  readonly #read: () => DeploymentRow;
  constructor(read: () => DeploymentRow, settled?: StatusRecord['settled']) {
    this.#read = read;
    if (settled) this.settled = settled;
  }
  get deployment(): Deployment {
    return deploymentFromRow(this.#read());
  }
}

export function deploymentStore(
  db: Db,
  now: () => Date,
  desired: Pick<DesiredChangeSink, 'changed'> = { changed: () => undefined },
): DeploymentStore {
  const KEY = 'cluster = ? AND target = ? AND environment = ?';
  // What is desired (deployments) and what the agent last reported for it (deployment_status, one
  // narrow row per deployment, for the generation it names), read as one row.
  const JOINED = `SELECT d.cluster, d.target, d.environment, d.bundle_digest, d.options, d.revision, d.generation,
       s.state, s.message, s.updated_at, d.generation_at, s.settled_at, s.objects_total, s.objects_ready, s.not_ready,
       d.retry_requests, s.retry_attempt, s.retry_at, s.retry_reason
     FROM deployments d JOIN deployment_status s
       ON s.cluster = d.cluster AND s.target = d.target AND s.environment = d.environment`;
  const insertDesired = db.prepare<[string, string, string, string, string, string | null, string]>(
    `INSERT INTO deployments (cluster, target, environment, bundle_digest, options, revision, generation, generation_at)
     VALUES (?, ?, ?, ?, ?, ?, 1, ?)`,
  );
  const nextGeneration = db.prepare<[string, string, string | null, string, string, string, string]>(
    `UPDATE deployments SET bundle_digest = ?, options = ?, revision = ?, generation = generation + 1, generation_at = ?
     WHERE ${KEY}`,
  );
  const setRevision = db.prepare<[string | null, string, string, string]>(
    `UPDATE deployments SET revision = ? WHERE ${KEY}`,
  );
  // A new generation starts unreported: the previous one's state, message and settling do not carry over.
  const resetStatus = db.prepare<[string, string, string, number, string]>(
    `INSERT INTO deployment_status (cluster, target, environment, generation, state, message, updated_at, settled_at)
     VALUES (?, ?, ?, ?, '${INITIAL_STATE}', '', ?, NULL)
     ON CONFLICT (cluster, target, environment) DO UPDATE SET
       generation = excluded.generation, state = excluded.state, message = excluded.message,
       updated_at = excluded.updated_at, settled_at = NULL,
       objects_total = NULL, objects_ready = NULL, not_ready = NULL,
       retry_attempt = NULL, retry_at = NULL, retry_reason = NULL`,
  );
  const touchStatus = db.prepare<[string, string, string, string]>(
    `UPDATE deployment_status SET updated_at = ? WHERE ${KEY}`,
  );
  // A report is one UPDATE of the narrow status row, without RETURNING (RETURNING * doubled the cost
  // of folding a report) and with positional parameters (binding named ones cost as much as the
  // UPDATE itself); the joined row is read only when a report settles its generation (once per
  // rollout) or is not recorded.
  type ReportParams = [
    string,
    string,
    string,
    number | null,
    number | null,
    string | null,
    number | null,
    string | null,
    string | null,
    string,
    string,
    string,
    number,
  ];
  const REPORTED =
    'state = ?, message = ?, updated_at = ?, objects_total = ?, objects_ready = ?, not_ready = ?, ' +
    'retry_attempt = ?, retry_at = ?, retry_reason = ?';
  const report = db.prepare<ReportParams>(`UPDATE deployment_status SET ${REPORTED} WHERE ${KEY} AND generation = ?`);
  const reportSettled = db.prepare<ReportParams>(
    `UPDATE deployment_status SET ${REPORTED} WHERE ${KEY} AND generation = ? AND settled_at IS NOT NULL`,
  );
  const settle = db.prepare<[string, string, string, string, number]>(
    `UPDATE deployment_status SET settled_at = ? WHERE ${KEY} AND generation = ? AND settled_at IS NULL`,
  );
  // `+bundle_digest`: by the cluster's rows (a handful), not by the bundle's (every cluster of a
  // rollout shares one digest; the planner, with no statistics, picked that index and scanned them all).
  const using = db
    .prepare<[string, string], number>('SELECT 1 FROM deployments WHERE cluster = ? AND +bundle_digest = ? LIMIT 1')
    .pluck();
  const oneByKey = db.prepare<[string, string, string], DeploymentRow>(
    `${JOINED} WHERE d.cluster = ? AND d.target = ? AND d.environment = ?`,
  );
  const askRetry = db.prepare<[string, string, string]>(
    `UPDATE deployments SET retry_requests = retry_requests + 1 WHERE ${KEY}`,
  );
  // The status row goes with it (ON DELETE CASCADE).
  const remove = db.prepare<[string, string, string]>(`DELETE FROM deployments WHERE ${KEY}`);
  const exists = {
    cluster: db.prepare<[string], number>('SELECT 1 FROM clusters WHERE name = ?').pluck(),
    target: db.prepare<[string], number>('SELECT 1 FROM targets WHERE name = ?').pluck(),
    environment: db.prepare<[string], number>('SELECT 1 FROM environments WHERE name = ?').pluck(),
    bundle: db.prepare<[string], number>('SELECT 1 FROM bundles WHERE digest = ?').pluck(),
  };
  const list = filteredQuery<DeploymentRow>(
    db,
    { cluster: 'd.cluster', target: 'd.target', environment: 'd.environment', state: 's.state' },
    (where) => `${JOINED} WHERE ${where} ORDER BY d.cluster, d.target, d.environment`,
  );

  // Reports fold by the hundred within one millisecond: one ISO string serves them all (formatting
  // one cost as much as a report's UPDATE).
  let lastMs = NaN;
  let lastIso = '';
  const isoNow = (): string => {
    const d = now();
    const ms = d.getTime();
    if (ms !== lastMs) [lastMs, lastIso] = [ms, d.toISOString()];
    return lastIso;
  };

  // The two report statements (any report; a routine one on a settled generation) bind alike.
  const runReport = (stmt: typeof report, r: DeploymentReport, at: string): number => {
    const o = r.objects;
    return stmt.run(
      r.state,
      r.message ?? '',
      at,
      o ? o.total : null,
      o ? o.ready : null,
      // Nothing to encode for the routine report, where every object is ready.
      o && o.notReady.length > 0 ? JSON.stringify(o.notReady) : null,
      r.retry ? r.retry.attempt : null,
      r.retry ? r.retry.at : null,
      r.retry ? r.retry.reason : null,
      r.cluster,
      r.target,
      r.environment,
      r.generation,
    ).changes;
  };
  const rowOf = (key: DeploymentKey): DeploymentRow => {
    const row = oneByKey.get(key.cluster, key.target, key.environment);
    if (!row) throw new StoreNotFoundError(`${describeDeployment(key)} does not exist`);
    return row;
  };

  const checkReferences = (d: DesiredDeployment): void => {
    for (const kind of ['cluster', 'target', 'environment', 'bundle'] as const) {
      if (exists[kind].get(d[kind]) === undefined) {
        throw new StoreReferenceError(`${describeDeployment(d)}: ${kind} "${d[kind]}" does not exist`);
      }
    }
  };

  return {
    setDesired: (d) =>
      guarded(describeDeployment(d), () =>
        inTransaction(db, () => {
          checkReferences(d);
          const k = [d.cluster, d.target, d.environment] as const;
          const options = encode(d.options ?? {});
          const revision = d.revision ?? null;
          const at = now().toISOString();
          const before = oneByKey.get(...k);
          // The desired state is the bundle plus its options: a change to either is a new generation;
          // the same with another revision keeps generation and state, and only moves updated_at.
          if (!before) {
            insertDesired.run(...k, d.bundle, options, revision, at);
            resetStatus.run(...k, 1, at);
            desired.changed(d.cluster);
          } else if (before.bundle_digest !== d.bundle || before.options !== options) {
            nextGeneration.run(d.bundle, options, revision, at, ...k);
            resetStatus.run(...k, before.generation + 1, at);
            desired.changed(d.cluster);
          } else if (before.revision !== revision) {
            setRevision.run(revision, ...k);
            touchStatus.run(at, ...k);
            desired.changed(d.cluster);
          }
          return deploymentFromRow(rowOf(d));
        }),
      ),
    recordStatus: (r) => {
      if (!isBundleState(r.state)) {
        throw new StoreInvalidError(`${describeDeployment(r)}: "${String(r.state)}" is not a bundle state`);
      }
      const at = isoNow();
      const read = () => rowOf(r);
      const fold = (): StatusRecord => {
        if (runReport(report, r, at) === 0) return { recorded: false, deployment: deploymentFromRow(read()) };
        if (
          !SETTLED_STATES.includes(r.state) ||
          settle.run(at, r.cluster, r.target, r.environment, r.generation).changes === 0
        ) {
          return new Recorded(read);
        }
        const row = read();
        const durationMs = Math.max(0, Date.parse(at) - Date.parse(row.generation_at ?? at));
        return new Recorded(() => row, { state: r.state, durationMs });
      };
      // Two statements only when the report settles the generation: then atomically.
      return db.inTransaction || !SETTLED_STATES.includes(r.state) ? fold() : inTransaction(db, fold);
    },
    recordResettled: (r) => {
      if (!SETTLED_STATES.includes(r.state)) return undefined;
      if (runReport(reportSettled, r, isoNow()) === 0) return undefined;
      return new Recorded(() => rowOf(r));
    },
    uses: (cluster, digest) => using.get(cluster, digest) !== undefined,
    get: (key) => {
      const row = oneByKey.get(key.cluster, key.target, key.environment);
      return row && deploymentFromRow(row);
    },
    list: (filter = {}) => list({ ...filter }).map(deploymentFromRow),
    requestRetry: (keys) =>
      inTransaction(db, () =>
        keys.flatMap((k) => {
          if (askRetry.run(k.cluster, k.target, k.environment).changes === 0) return [];
          desired.changed(k.cluster);
          return [deploymentFromRow(rowOf(k))];
        }),
      ),
    delete: (key) => {
      if (remove.run(key.cluster, key.target, key.environment).changes === 0) return false;
      desired.changed(key.cluster);
      return true;
    },
  };
}
