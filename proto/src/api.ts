/**
 * The hub's HTTP JSON API (`/api/v1`): the shapes the hub serves and the `fleet` CLI reads. The
 * OpenAPI document at `/openapi.json` describes the same shapes. This entry loads no gRPC code, so
 * the CLI can import it cheaply (`@flotilla/proto/api`).
 *
 * Conventions: JSON bodies; lists are `{ items: [...] }`; times are ISO 8601 UTC; every error is an
 * {@link ApiError} with the HTTP status that fits (400 invalid input, 401 no or bad token, 403 role too
 * low, 404 unknown name, 409 conflict, 412 a precondition such as health, 502 Git refused).
 * Authentication: `Authorization: Bearer <token>` on everything except /healthz, /readyz,
 * /openapi.json and webhooks.
 */
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

export interface ApiError {
  /** Stable, machine-readable: e.g. NOT_FOUND, INVALID, UNAUTHENTICATED, FORBIDDEN, PROMOTION_CONFLICT. */
  code: string;
  /** What is wrong, naming the thing (cluster, field, file). */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** Structured detail: e.g. `{ files: [...] }` for a merge conflict, `{ field }` for invalid input. */
  details?: Record<string, unknown>;
}

export interface List<T> {
  items: T[];
}

/**
 * A list of history that may go on (events, drift): at most `limit` items (a default and a maximum
 * per route), `more` when further items match, and then `next`: the query parameters that fetch the
 * next page (`after` going forward in time, `before` going back), to add to the same query.
 */
export interface Page<T> extends List<T> {
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

export interface ClusterSummary {
  name: string;
  labels: Labels;
  condition: ClusterCondition;
  /** Whether an agent holds a live credential (registered and not revoked). */
  registered: boolean;
  lastSeenAt?: string;
  revokedAt?: string;
  agentVersion?: string;
  kubernetesVersion?: string;
  createdAt: string;
  /** Worst state over its deployments (Ready when it has none). */
  state: BundleStateName;
  deployments: number;
}

export interface ClusterDetail extends ClusterSummary {
  groups: string[];
  environments: string[];
  deploymentList: DeploymentView[];
}

/** POST /clusters: mint a one-time registration token for a cluster (new, or re-registering). */
export interface ClusterRegisterRequest {
  name: string;
  labels?: Labels;
  /** Seconds the token stays valid; default 3600. */
  ttlSeconds?: number;
}

export interface ClusterRegisterResponse {
  cluster: string;
  /** Shown once; the hub keeps only its hash. */
  token: string;
  expiresAt: string;
  /** Where agents dial the hub (gRPC host:port), when the hub knows its advertised address. */
  hubAddress?: string;
}

/** PATCH /clusters/:name/labels */
export interface LabelsPatch {
  set?: Labels;
  remove?: string[];
}

export interface Group {
  name: string;
  selector: string;
}

export interface GroupDetail extends Group {
  /** Clusters the selector matches now. */
  clusters: string[];
}

export interface RepoCreateRequest {
  name: string;
  /** http(s) URL of the Git repository. */
  url: string;
  /** Where credentials live, e.g. `{ "env": "GIT_TOKEN" }` (never the credentials themselves). */
  auth?: Record<string, string>;
  pollIntervalSeconds?: number;
  /** Shared secret for push webhooks; stored sealed, never returned. */
  webhookSecret?: string;
  /**
   * Hosts this repo's renders may fetch Helm charts from: names, `*.domain`, IP addresses, CIDRs.
   * None by default; a loopback, link-local or private address only when listed itself.
   */
  renderHosts?: string[];
}

/** PUT /repos/{name}/render-hosts: the whole list (empty: none). */
export interface RepoRenderHostsRequest {
  renderHosts: string[];
}

export interface RepoBranchView {
  branch: string;
  commit?: string;
  fetchedAt?: string;
  error?: string;
  errorAt?: string;
}

/**
 * Whether the hub reaches a repo's remote: Reachable (it answered the last time), Failed (`error`
 * says why: credentials refused, not found, no answer), Unchecked (not tried yet).
 */
export const REPO_STATES = ['Reachable', 'Failed', 'Unchecked'] as const;
export type RepoState = (typeof REPO_STATES)[number];

export interface RepoView {
  name: string;
  url: string;
  auth?: Record<string, string>;
  pollIntervalSeconds: number;
  webhook: boolean;
  /** Hosts this repo's renders may fetch Helm charts from. */
  renderHosts: string[];
  state: RepoState;
  /** When the remote last answered. */
  reachedAt?: string;
  /** Why the remote did not answer the last time; cleared when it does. */
  error?: string;
  errorAt?: string;
  branches: RepoBranchView[];
}

export interface Environment {
  name: string;
  repo: string;
  branch: string;
  group?: string;
  selector?: string;
  promotesTo?: string;
}

export interface EnvironmentView extends Environment {
  /** The commit last fetched on its branch. */
  commit?: string;
  /** Worst state over its deployments. */
  state: BundleStateName;
  clusters: string[];
}

/**
 * Helm values a target sets through the API or CLI, over the repository's (docs/fleet-yaml.md):
 * values files go after fleet.yaml's and its customization's, inline values over theirs.
 */
export interface TargetHelmOptions {
  /** Merged over fleet.yaml's `helm.values` and its customization's; `${ .ClusterLabels.x }` works. */
  values?: Record<string, unknown>;
  /** Files in the repo, relative to the target's path (no `..`, not absolute), after fleet.yaml's. */
  valuesFiles?: string[];
}

/** What a target's options hold: they decide over fleet.yaml. */
export interface TargetOptions {
  selfHeal?: boolean;
  prune?: boolean;
  helm?: TargetHelmOptions;
}

export interface Target {
  name: string;
  repo: string;
  path: string;
  environments: string[];
  /** Deployment options (`TargetOptions`): `{ selfHeal, prune, helm: { values, valuesFiles } }`. */
  options?: Record<string, unknown>;
}

export interface TargetView extends Required<Target> {
  /** Per environment: render state and error (file:line) when the last render failed. */
  renders: { environment: string; state: string; commit?: string; error?: string; updatedAt?: string }[];
  /** Its removal was asked for and the hub has not finished it yet (the next reconcile does). */
  removing?: { orphan: boolean; requestedAt: string };
}

/** What removing a target does, where: the answer to DELETE /targets/{name}. */
export interface TargetRemovalView {
  target: string;
  /** true: the objects stay in the clusters and the agents forget them; false: the agents delete them. */
  orphan: boolean;
  /** Each deployment removed, with how many objects its bundle holds. */
  deployments: { cluster: string; environment: string; objects: number }[];
  /** Objects in all, over every deployment. */
  objects: number;
}

export interface BundleView {
  digest: string;
  size: number;
  objectCount: number;
  createdAt: string;
  /** Deployments that use it now. */
  usedBy: { cluster: string; target: string; environment: string }[];
}

export interface BundleObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface BundleDetail extends BundleView {
  objects: BundleObject[];
}

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

/** One object of a deployment that is not ready, and why. */
export interface NotReadyObject extends BundleObject {
  /** The state it pulls its deployment towards: ErrApplied (its apply failed), Modified (drifted), NotReady, Pending. */
  state: BundleStateName;
  health: ObjectHealthName;
  change: ObjectChangeName;
  /** The apiserver's message for a failed apply, or why the object is not ready. */
  message: string;
}

/**
 * A deployment's objects as its agent last reported them: how many, how many are ready, and the
 * ones that are not, worst state first, at most {@link NOT_READY_LISTED} of them; `total - ready`
 * says how many are not ready in all.
 */
export interface DeploymentObjects {
  total: number;
  ready: number;
  notReady: NotReadyObject[];
}

/** How many not-ready objects a deployment lists, worst first. */
export const NOT_READY_LISTED = 10;

export interface DeploymentView {
  cluster: string;
  target: string;
  environment: string;
  bundle: string;
  revision?: string;
  generation: number;
  state: BundleStateName;
  message: string;
  updatedAt: string;
  /** Absent until the agent reports on this generation. */
  objects?: DeploymentObjects;
  /** Its apply failed and the agent retries it with backoff: when, and why. */
  retry?: DeploymentRetry;
}

/** A failed apply that the agent retries with backoff (2 s doubling to 5 min); `fleet deployments retry` runs it now. */
export interface DeploymentRetry {
  /** Applies in a row that failed. */
  attempt: number;
  /** When the agent applies it next. */
  at: string;
  /** The failure it retries: the first object refused, with the apiserver's words. */
  reason: string;
}

/** POST /deployments/retry: the deployments to apply again now. Without `state`, those not Ready. */
export interface RetryRequest {
  cluster?: string;
  target?: string;
  environment?: string;
  state?: BundleStateName;
}

/** A deployment whose agent was asked to apply it again now. */
export interface RetryRequested extends Required<Omit<RetryRequest, 'state'>> {
  state: BundleStateName;
  /** Its cluster's agent is connected: it applies within seconds; otherwise as soon as it reconnects. */
  connected: boolean;
}

/** GET /status: environments × clusters, worst first. */
export interface StatusView {
  state: BundleStateName;
  environments: {
    name: string;
    branch: string;
    commit?: string;
    state: BundleStateName;
    clusters: {
      cluster: string;
      condition: ClusterCondition;
      lastSeenAt?: string;
      state: BundleStateName;
      targets: {
        target: string;
        state: BundleStateName;
        revision?: string;
        message: string;
        /** Its apply failed: the agent's next attempt. */
        retry?: DeploymentRetry;
      }[];
    }[];
  }[];
  /**
   * What Git asks for and the hub does not deploy: renders that failed and renders refused (a
   * TARGET_OVERLAP), per target and environment. What was deployed before stays meanwhile.
   */
  problems?: { target: string; environment: string; commit?: string; message: string }[];
  /**
   * Why nothing is deployed, when nothing is (no environment, no commit fetched, no cluster, no
   * target): `state` is then only the absence of anything worse, not a fleet that is Ready.
   */
  nothingDeployed?: string;
  /** Repos (or followed branches) the hub cannot fetch now: what was fetched before stays deployed. */
  repoErrors?: { repo: string; branch?: string; message: string; since?: string }[];
}

export interface FleetEvent {
  id: number;
  at: string;
  kind: string;
  cluster?: string;
  repo?: string;
  environment?: string;
  target?: string;
  bundle?: string;
  actor?: string;
  payload: Record<string, unknown>;
}

/** One drifted object: current when the latest report for it is not followed by a correction. */
export interface DriftView {
  cluster: string;
  target?: string;
  environment?: string;
  object: string;
  fields: unknown[];
  manager?: string;
  /** When the drifted fields were written, as managedFields recorded it (reported by the agent). */
  changedAt?: string;
  /** When the agent saw the drift, by its clock; never after the hub received the report. */
  detectedAt: string;
  corrected: boolean;
  /** When self-heal restored the values, by the agent's clock; never after the hub received the report. */
  correctedAt?: string;
  /** When the hub received this report (later than detectedAt when the agent reported after an outage). */
  reportedAt: string;
  eventId: number;
  /** The hub cut the report to its size limit: a value, path or name ends with `…[truncated: N bytes]`. */
  truncated?: boolean;
  /** Fields the report named beyond the hub's limit, not kept. */
  fieldsOmitted?: number;
  /** This many more reports of this object (or others of its cluster) came over the cluster's rate and were coalesced into this one. */
  suppressed?: number;
}

export interface PromotionRequest {
  from: string;
  to: string;
  /** Refuse unless every deployment of `from` is Ready at the commit being promoted. */
  requireHealthy?: boolean;
}

export const PROMOTION_KINDS = ['fast-forward', 'merge', 'up-to-date'] as const;
export type PromotionKind = (typeof PROMOTION_KINDS)[number];

export interface Promotion {
  id: number;
  from: string;
  to: string;
  kind: PromotionKind;
  /** The `from` branch commit promoted. */
  fromCommit: string;
  /** The `to` branch before and after. */
  previousCommit: string;
  commit: string;
  /** Commits that reached `to` with this promotion (oldest first). */
  commits: string[];
  actor: string;
  at: string;
}

export interface RollbackRequest {
  environment: string;
  /** Restore the tree of this commit (an ancestor of the branch head); default: the head's parent. */
  to?: string;
}

export interface Rollback {
  id: number;
  environment: string;
  branch: string;
  /** The head before the rollback, the commit whose tree is restored, and the new commit. */
  previousCommit: string;
  restoredCommit: string;
  commit: string;
  actor: string;
  at: string;
}

export interface ApiTokenCreateRequest {
  name: string;
  role: ApiRole;
  /** Seconds until it expires; none = no expiry. */
  ttlSeconds?: number;
}

export interface ApiTokenView {
  name: string;
  role: ApiRole;
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export interface ApiTokenCreateResponse extends ApiTokenView {
  /** Shown once; the hub keeps only its hash. */
  token: string;
}

export interface WhoAmI {
  name: string;
  role: ApiRole;
}

export const API_STATES: readonly BundleStateName[] = BUNDLE_STATES;

/** GET /hub: what a client needs to install agents. */
export interface HubInfo {
  version: string;
  /** The agents' transport and the address they dial (as advertised, e.g. `hub.example.com:9443`). */
  transport: 'grpc' | 'nats';
  agentAddress?: string;
  /** The CA agents must trust (PEM), when the hub serves TLS with its own CA. */
  caCertificate?: string;
  /** The CA's public-key pin, `sha256:<hex>`: what an agent's `--hub-ca-hash` takes. */
  caFingerprint?: string;
}
