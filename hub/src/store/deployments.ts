import { BUNDLE_STATES, type BundleStateName } from '@flotilla/proto';
import { inTransaction, type Db } from './db.js';
import { guarded, StoreCorruptError, StoreInvalidError, StoreNotFoundError, StoreReferenceError } from './errors.js';
import { compact, decodeObject, encode, type JsonObject } from './json.js';
import { filteredQuery } from './query.js';

export interface DeploymentKey {
  cluster: string;
  target: string;
  environment: string;
}

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
  });
}

export function deploymentStore(db: Db, now: () => Date): DeploymentStore {
  const KEY = 'cluster = @cluster AND target = @target AND environment = @environment';
  // The desired state is the bundle plus its options: a change to either is a new generation.
  const SAME = 'bundle_digest = excluded.bundle_digest AND options = excluded.options';
  const upsert = db.prepare<Omit<DeploymentRow, 'settled_at'>, DeploymentRow>(
    `INSERT INTO deployments (cluster, target, environment, bundle_digest, options, revision, generation, state,
       message, updated_at, generation_at)
     VALUES (@cluster, @target, @environment, @bundle_digest, @options, @revision, @generation, @state, @message,
       @updated_at, @generation_at)
     ON CONFLICT (cluster, target, environment) DO UPDATE SET
       generation = CASE WHEN ${SAME} THEN generation ELSE generation + 1 END,
       state      = CASE WHEN ${SAME} THEN state ELSE excluded.state END,
       message    = CASE WHEN ${SAME} THEN message ELSE excluded.message END,
       updated_at = CASE WHEN ${SAME} AND revision IS excluded.revision THEN updated_at ELSE excluded.updated_at END,
       generation_at = CASE WHEN ${SAME} THEN generation_at ELSE excluded.generation_at END,
       settled_at = CASE WHEN ${SAME} THEN settled_at ELSE NULL END,
       bundle_digest = excluded.bundle_digest,
       options    = excluded.options,
       revision   = excluded.revision
     RETURNING *`,
  );
  // A report is one UPDATE without RETURNING (RETURNING * doubled the cost of folding a report), with
  // positional parameters (binding named ones cost as much as the UPDATE itself); the row is read only
  // when a report settles its generation (once per rollout) or is not recorded.
  const POSITIONAL_KEY = 'cluster = ? AND target = ? AND environment = ?';
  const report = db.prepare<[string, string, string, string, string, string, number]>(
    `UPDATE deployments SET state = ?, message = ?, updated_at = ? WHERE ${POSITIONAL_KEY} AND generation = ?`,
  );
  const reportSettled = db.prepare<[string, string, string, string, string, string, number]>(
    `UPDATE deployments SET state = ?, message = ?, updated_at = ?
     WHERE ${POSITIONAL_KEY} AND generation = ? AND settled_at IS NOT NULL`,
  );
  const settle = db.prepare<[string, string, string, string, number]>(
    `UPDATE deployments SET settled_at = ? WHERE ${POSITIONAL_KEY} AND generation = ? AND settled_at IS NULL`,
  );
  // `+bundle_digest`: by the cluster's rows (a handful), not by the bundle's (every cluster of a
  // rollout shares one digest; the planner, with no statistics, picked that index and scanned them all).
  const using = db
    .prepare<[string, string], number>('SELECT 1 FROM deployments WHERE cluster = ? AND +bundle_digest = ? LIMIT 1')
    .pluck();
  const oneByKey = db.prepare<[string, string, string], DeploymentRow>(
    `SELECT * FROM deployments WHERE ${POSITIONAL_KEY}`,
  );
  const one = db.prepare<DeploymentKey, DeploymentRow>(`SELECT * FROM deployments WHERE ${KEY}`);
  const remove = db.prepare<DeploymentKey>(`DELETE FROM deployments WHERE ${KEY}`);
  const exists = {
    cluster: db.prepare<[string], number>('SELECT 1 FROM clusters WHERE name = ?').pluck(),
    target: db.prepare<[string], number>('SELECT 1 FROM targets WHERE name = ?').pluck(),
    environment: db.prepare<[string], number>('SELECT 1 FROM environments WHERE name = ?').pluck(),
    bundle: db.prepare<[string], number>('SELECT 1 FROM bundles WHERE digest = ?').pluck(),
  };
  const list = filteredQuery<DeploymentRow>(
    db,
    { cluster: 'cluster', target: 'target', environment: 'environment', state: 'state' },
    (where) => `SELECT * FROM deployments WHERE ${where} ORDER BY cluster, target, environment`,
  );

  // The two report statements (any report; a routine one on a settled generation) bind alike.
  const runReport = (stmt: typeof report, r: DeploymentReport, at: string): number =>
    stmt.run(r.state, r.message ?? '', at, r.cluster, r.target, r.environment, r.generation).changes;
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
          const row = upsert.get({
            cluster: d.cluster,
            target: d.target,
            environment: d.environment,
            bundle_digest: d.bundle,
            options: encode(d.options ?? {}),
            revision: d.revision ?? null,
            generation: 1,
            state: INITIAL_STATE,
            message: '',
            updated_at: now().toISOString(),
            generation_at: now().toISOString(),
          });
          if (!row) throw new Error(`${describeDeployment(d)}: upsert returned no row`);
          return deploymentFromRow(row);
        }),
      ),
    recordStatus: (r) => {
      if (!isBundleState(r.state)) {
        throw new StoreInvalidError(`${describeDeployment(r)}: "${String(r.state)}" is not a bundle state`);
      }
      const at = now().toISOString();
      const read = () => rowOf(r);
      // The deployment as it is after the report, read only by a caller that asks for it.
      const recorded = (settled?: StatusRecord['settled'], row?: DeploymentRow): StatusRecord => ({
        recorded: true,
        get deployment() {
          return deploymentFromRow(row ?? read());
        },
        ...(settled ? { settled } : {}),
      });
      const fold = (): StatusRecord => {
        if (runReport(report, r, at) === 0) return { recorded: false, deployment: deploymentFromRow(read()) };
        if (
          !SETTLED_STATES.includes(r.state) ||
          settle.run(at, r.cluster, r.target, r.environment, r.generation).changes === 0
        ) {
          return recorded();
        }
        const row = read();
        const durationMs = Math.max(0, Date.parse(at) - Date.parse(row.generation_at ?? at));
        return recorded({ state: r.state, durationMs }, row);
      };
      // Two statements only when the report settles the generation: then atomically.
      return db.inTransaction || !SETTLED_STATES.includes(r.state) ? fold() : inTransaction(db, fold);
    },
    recordResettled: (r) => {
      if (!SETTLED_STATES.includes(r.state)) return undefined;
      if (runReport(reportSettled, r, now().toISOString()) === 0) return undefined;
      return {
        recorded: true,
        get deployment() {
          return deploymentFromRow(rowOf(r));
        },
      };
    },
    uses: (cluster, digest) => using.get(cluster, digest) !== undefined,
    get: (key) => {
      const row = one.get({ cluster: key.cluster, target: key.target, environment: key.environment });
      return row && deploymentFromRow(row);
    },
    list: (filter = {}) => list({ ...filter }).map(deploymentFromRow),
    delete: (key) => remove.run({ cluster: key.cluster, target: key.target, environment: key.environment }).changes > 0,
  };
}
