/**
 * The hub's HTTP JSON API (`/api/v1`): the shapes the hub serves and the `fleet` CLI reads, derived
 * from their JSON Schemas (api-schema.ts), from which the hub also generates its OpenAPI document at
 * `/openapi.json`. This entry loads neither gRPC code nor TypeBox (its types are imported as types),
 * so the CLI can import it cheaply (`@flotilla/proto/api`).
 *
 * Conventions: JSON bodies; lists are `{ items: [...] }`; times are ISO 8601 UTC; every error is an
 * {@link ApiError} with the HTTP status that fits (400 invalid input, 401 no or bad token, 403 role too
 * low, 404 unknown name, 409 conflict, 412 a precondition such as health, 502 Git refused).
 * Authentication: `Authorization: Bearer <token>` on everything except /healthz, /readyz,
 * /openapi.json and webhooks.
 */
import type { Static } from '@sinclair/typebox';
import type * as S from './api-schema.js';
import { BUNDLE_STATES, type BundleStateName } from './states.js';

/** Cluster names and labels: the rule the hub enforces, for the CLI to check before it asks. */
export * from './names.js';
/** Helm values merged as Helm does: the hub's renders and the CLI's values files. */
export { mergeValues } from './helm-values.js';

export const API_PREFIX = '/api/v1';

/** Roles, from least to most: each one may do all that the roles before it may. */
export const API_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Whether `have` is at least `need`. */
export function roleAllows(have: ApiRole, need: ApiRole): boolean {
  return API_ROLES.indexOf(have) >= API_ROLES.indexOf(need);
}

/** A list answer (api-schema.ts `List`). */
export interface List<T> {
  items: T[];
}

/**
 * A list of history that may go on (events, drift): at most `limit` items (a default and a maximum
 * per route), `more` when further items match, and then `next`: the query parameters that fetch the
 * next page (`after` going forward in time, `before` going back), to add to the same query.
 */
export interface Page<T> extends List<T> {
  // api-schema.ts `Page`: a generic type cannot be derived from a schema-building function.
  more: boolean;
  next?: { after?: number; before?: number };
}

/** Items per page of `GET /events` and `GET /drift` when `limit` is not given, and the most `limit` may ask. */
export const PAGE_LIMITS = { default: 100, max: 1000 } as const;

export type Labels = Record<string, string>;

/**
 * A cluster's liveness as this hub sees it now: Connected (its agent holds a connection), Disconnected
 * (heard lately, no connection now: after a hub restart until the agent says hello again), Stale (not
 * heard for the stale window; not Failed), NeverSeen, Revoked.
 */
export const CLUSTER_CONDITIONS = ['Connected', 'Disconnected', 'Stale', 'NeverSeen', 'Revoked'] as const;
export type ClusterCondition = (typeof CLUSTER_CONDITIONS)[number];

/**
 * Whether the hub reaches a repo's remote: Reachable (it answered the last time), Failed (`error`
 * says why: credentials refused, not found, no answer), Unchecked (not tried yet).
 */
export const REPO_STATES = ['Reachable', 'Failed', 'Unchecked'] as const;
export type RepoState = (typeof REPO_STATES)[number];

/** An object's health as its agent last reported it (the agent's health checks, per kind). */
export const OBJECT_HEALTHS = ['Ready', 'InProgress', 'Failed', 'Unknown'] as const;
export type ObjectHealthName = (typeof OBJECT_HEALTHS)[number];

/** What the agent's last apply did to an object. */
export const OBJECT_CHANGES = [
  'created',
  'configured',
  'unchanged',
  'deleted',
  'skipped',
  'failed',
  'unknown',
] as const;
export type ObjectChangeName = (typeof OBJECT_CHANGES)[number];

/** How many not-ready objects a deployment lists, worst first. */
export const NOT_READY_LISTED = 10;

/** The keys a repo's `auth` takes: credentials the hub seals, or the file or variable that holds them. */
export const REPO_AUTH_KEYS = [
  'username',
  'password',
  'token',
  'passwordEnv',
  'tokenEnv',
  'passwordFile',
  'tokenFile',
] as const;
export type RepoAuthKey = (typeof REPO_AUTH_KEYS)[number];

export const PROMOTION_KINDS = ['fast-forward', 'merge', 'up-to-date'] as const;
export type PromotionKind = (typeof PROMOTION_KINDS)[number];

export const API_STATES: readonly BundleStateName[] = BUNDLE_STATES;

// The shapes of the API, derived from their schemas in api-schema.ts (what each field means is there).
export type ApiError = Static<typeof S.ApiError>;
export type WhoAmI = Static<typeof S.WhoAmI>;
/** GET /hub: what a client needs to install agents. */
export type HubInfo = Static<typeof S.HubInfo>;
export type ClusterSummary = Static<typeof S.ClusterSummary>;
export type ClusterDetail = Static<typeof S.ClusterDetail>;
/** POST /clusters: mint a one-time registration token for a cluster (new, or re-registering). */
export type ClusterRegisterRequest = Static<typeof S.ClusterRegisterRequest>;
export type ClusterRegisterResponse = Static<typeof S.ClusterRegisterResponse>;
/** PATCH /clusters/{name}/labels */
export type LabelsPatch = Static<typeof S.LabelsPatch>;
export type GroupDetail = Static<typeof S.GroupDetail>;
export type Group = Pick<GroupDetail, 'name' | 'selector'>;
export type RepoCreateRequest = Static<typeof S.RepoCreateRequest>;
/** PUT /repos/{name}/render-hosts: the whole list (empty: none). */
export type RepoRenderHostsRequest = Static<typeof S.RepoRenderHostsRequest>;
export type RepoBranchView = Static<typeof S.RepoBranchView>;
export type RepoView = Static<typeof S.RepoView>;
export type Environment = Static<typeof S.Environment>;
export type EnvironmentView = Static<typeof S.EnvironmentView>;
/** Helm values a target sets through the API or CLI, over the repository's (docs/fleet-yaml.md). */
export type TargetHelmOptions = Static<typeof S.TargetHelmOptions>;
/** What a target's options hold: they decide over fleet.yaml. */
export type TargetOptions = Static<typeof S.TargetOptions>;
export type Target = Static<typeof S.Target>;
export type TargetView = Static<typeof S.TargetView>;
/** What removing a target does, where: the answer to DELETE /targets/{name}. */
export type TargetRemovalView = Static<typeof S.TargetRemovalView>;
export type BundleView = Static<typeof S.BundleView>;
export type BundleObject = Static<typeof S.BundleObject>;
export type BundleDetail = Static<typeof S.BundleDetail>;
/** One object of a deployment that is not ready, and why. */
export type NotReadyObject = Static<typeof S.NotReadyObject>;
/** A deployment's objects as its agent last reported them: at most {@link NOT_READY_LISTED} not ready listed. */
export type DeploymentObjects = Static<typeof S.DeploymentObjects>;
export type DeploymentView = Static<typeof S.DeploymentView>;
/** A failed apply that the agent retries with backoff; `fleet deployments retry` runs it now. */
export type DeploymentRetry = Static<typeof S.DeploymentRetry>;
/** POST /deployments/retry: the deployments to apply again now. Without `state`, those not Ready. */
export type RetryRequest = Static<typeof S.RetryRequest>;
export type RetryRequested = Static<typeof S.RetryRequested>;
/** GET /status: environments × clusters, worst first. */
export type StatusView = Static<typeof S.StatusView>;
export type FleetEvent = Static<typeof S.FleetEvent>;
export type DriftView = Static<typeof S.DriftView>;
export type PromotionRequest = Static<typeof S.PromotionRequest>;
export type Promotion = Static<typeof S.Promotion>;
export type RollbackRequest = Static<typeof S.RollbackRequest>;
export type Rollback = Static<typeof S.Rollback>;
export type ApiTokenCreateRequest = Static<typeof S.ApiTokenCreateRequest>;
export type ApiTokenView = Static<typeof S.ApiTokenView>;
export type ApiTokenCreateResponse = Static<typeof S.ApiTokenCreateResponse>;
