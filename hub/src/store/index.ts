import { apiTokenStore, type ApiTokenStore } from './api-tokens.js';
import { bundleStore, type BundleStore } from './bundles.js';
import { clusterStore, type ClusterStore } from './clusters.js';
import { environmentStore, groupStore, type EnvironmentStore, type GroupStore } from './config.js';
import { inTransaction, integrityCheck, openDatabase, parseOptions, type StoreOptions } from './db.js';
import { deploymentStore, type DeploymentStore } from './deployments.js';
import { desiredChanges, type DesiredChanges } from './desired-changes.js';
import { eventStore, type EventStore } from './events.js';
import { migrate, schemaVersion } from './migrations.js';
import { orphanStore, type OrphanStore } from './orphans.js';
import { registrationTokenStore, type RegistrationTokenStore } from './registration-tokens.js';
import { renderStatusStore, type RenderStatusStore } from './render-status.js';
import { repoStore, type RepoStore } from './repos.js';
import { targetStore, type TargetStore } from './targets.js';

/** The hub's state: one SQLite file in WAL mode, reached only through these repositories. */
export interface Store {
  readonly path: string;
  readonly clusters: ClusterStore;
  readonly groups: GroupStore;
  readonly repos: RepoStore;
  readonly environments: EnvironmentStore;
  readonly targets: TargetStore;
  readonly bundles: BundleStore;
  readonly deployments: DeploymentStore;
  /** "The desired state of these clusters changed", after the writes that changed it: the transports listen. */
  readonly desiredChanges: DesiredChanges;
  readonly events: EventStore;
  readonly renderStatus: RenderStatusStore;
  /** Deployments agents must forget without deleting their objects (targets removed with --orphan). */
  readonly orphans: OrphanStore;
  readonly registrationTokens: RegistrationTokenStore;
  readonly apiTokens: ApiTokenStore;
  /**
   * Runs `fn` in one IMMEDIATE transaction: all of its writes commit together or none do, and it
   * holds the write lock from the start (so it never fails half-way on an upgrade to a writer).
   * Nested calls become savepoints. `fn` must be synchronous: awaiting inside would commit early.
   */
  transaction<T>(fn: () => T): T;
  schemaVersion(): number;
  /** `PRAGMA integrity_check`: 'ok' or what is wrong. */
  integrityCheck(): string;
  /** Closes the file; further calls on the store throw. Closing twice is harmless. */
  close(): void;
}

/**
 * Opens (creating if needed) the store at `path` and brings its schema up to date.
 * STORE_SCHEMA_TOO_NEW when a newer Flotilla has migrated it; STORE_OPEN when it is not usable.
 */
export function openStore(path: string, opts?: StoreOptions): Store {
  const options = parseOptions(opts);
  const db = openDatabase(path, options);
  try {
    migrate(db, path, options.now);
  } catch (err) {
    db.close();
    throw err;
  }
  const { now } = options;
  const desired = desiredChanges();
  return {
    path,
    clusters: clusterStore(db, now),
    groups: groupStore(db),
    repos: repoStore(db, now),
    environments: environmentStore(db),
    targets: targetStore(db),
    bundles: bundleStore(db, now),
    deployments: deploymentStore(db, now, desired),
    desiredChanges: desired,
    events: eventStore(db, now),
    renderStatus: renderStatusStore(db, now),
    orphans: orphanStore(db, now),
    registrationTokens: registrationTokenStore(db, now),
    apiTokens: apiTokenStore(db, now),
    transaction: (fn) => inTransaction(db, fn),
    schemaVersion: () => schemaVersion(db),
    integrityCheck: () => integrityCheck(db),
    close() {
      if (!db.open) return;
      // Cheap statistics upkeep the SQLite docs recommend on close of a long-lived connection.
      db.pragma('optimize');
      db.close();
    },
  };
}

export { defaultOptions, parseOptions, SYNCHRONOUS_MODES } from './db.js';
export type { StoreOptions, SynchronousMode } from './db.js';
export type { DesiredChanges } from './desired-changes.js';
export { MIGRATIONS, latestVersion } from './migrations.js';
export type { Migration } from './migrations.js';
export {
  StoreConflictError,
  StoreCorruptError,
  StoreInvalidError,
  StoreNotFoundError,
  StoreOpenError,
  StoreReferenceError,
  StoreSchemaMismatchError,
  StoreSchemaTooNewError,
} from './errors.js';
export type { JsonObject, JsonValue, Labels } from './json.js';
export type { Cluster, ClusterSighting, ClusterStore, NewCluster } from './clusters.js';
export type { Environment, EnvironmentStore, Group, GroupStore } from './config.js';
export type { Repo, RepoAuth, RepoBranch, RepoStore } from './repos.js';
export { RENDER_STATES } from './render-status.js';
export type { ApiToken, ApiTokenRole, ApiTokenStore, NewApiToken } from './api-tokens.js';
export type { NewRegistrationToken, RegistrationToken, RegistrationTokenStore } from './registration-tokens.js';
export type { RenderState, RenderStatus, RenderStatusStore } from './render-status.js';
export type { NewTarget, Target, TargetRemoval, TargetStore } from './targets.js';
export type { OrphanedDeployment, OrphanStore } from './orphans.js';
export { BUNDLE_ENCODINGS } from './bundles.js';
export type { BundleEncoding, BundleInfo, BundleStore, NewBundle } from './bundles.js';
export { INITIAL_STATE, isBundleState, SETTLED_STATES } from './deployments.js';
export type {
  Deployment,
  DeploymentFilter,
  DeploymentKey,
  DeploymentReport,
  DeploymentRetry,
  DeploymentStore,
  DesiredDeployment,
  StatusRecord,
} from './deployments.js';
export { DEFAULT_EVENT_LIMIT, EVENT_COUNTERS, EVENT_KINDS, isEventKind, MAX_EVENT_LIMIT } from './events.js';
export type {
  EventCount,
  EventCounter,
  EventFilter,
  EventKind,
  EventStore,
  EventSubject,
  FleetEvent,
  NewEvent,
} from './events.js';
export type { SweepLimits, SweepStep } from './event-retention.js';
export { DEFAULT_RETENTION, RetentionSweeper, type RetentionPolicy } from './retention.js';
