/**
 * The HTTP API's shapes as JSON Schema (TypeBox): the one definition. The types in api.ts are derived
 * from these (`Static`), the hub's routes are typed by them and its OpenAPI document at /openapi.json
 * is generated from them. A schema with an `$id` is a named component of that document; `ref()` points
 * at one. Loaded by the hub only (`@flotilla/proto/api-schema`): the CLI imports the types (api.ts),
 * never TypeBox itself (100+ ms to load).
 */
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { EVENT_KINDS, type EventKind } from '@flotilla/common';
import { BUNDLE_STATES } from './states.js';
import {
  API_ROLES,
  CLUSTER_CONDITIONS,
  NOT_READY_LISTED,
  OBJECT_CHANGES,
  OBJECT_HEALTHS,
  PROMOTION_KINDS,
  REPO_STATES,
} from './api.js';

export { EVENT_KINDS };

export const str = (description?: string) => Type.String(description ? { description } : {});
export const int = (description?: string) => Type.Integer(description ? { description } : {});
export const bool = (description?: string) => Type.Boolean(description ? { description } : {});
export const time = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });
export const opt = Type.Optional;
/** One of a vocabulary defined once (`as const`), as a string enum. */
export const oneOf = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
/** A map of strings (labels): `additionalProperties`, as OpenAPI writes a map. */
export const stringMap = (description?: string) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...(description ? { description } : {}),
  });
/** Any JSON object (Helm values, event payloads). */
export const anyObject = (description?: string) =>
  Type.Unsafe<Record<string, unknown>>({ type: 'object', ...(description ? { description } : {}) });
/** A reference to a named schema (its `$id`), typed as that schema. */
export const ref = <T extends TSchema & { $id: string }>(schema: T) =>
  Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#` });
/** A named component of the document. */
const named = <T extends TProperties>(id: string, properties: T, description?: string): TObject<T> & { $id: string } =>
  Type.Object(properties, { $id: id, ...(description ? { description } : {}) }) as TObject<T> & { $id: string };

const state = (description?: string) => oneOf(BUNDLE_STATES, description);

/** Every error: `{ code, message, hint?, details? }` with the HTTP status that fits. */
export const ApiError = named(
  'Error',
  {
    code: str('Stable, machine-readable: e.g. NOT_FOUND, INVALID, UNAUTHENTICATED, FORBIDDEN, PROMOTION_CONFLICT'),
    message: str('What is wrong, naming the thing (cluster, field, file)'),
    hint: opt(str('What to do about it')),
    details: opt(anyObject('Structured detail: e.g. `{ files }` for a merge conflict, `{ field }` for invalid input')),
  },
  'An error: what is wrong and what to do',
);

export const List = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item) });

/**
 * A list of history that may go on (events, drift): at most `limit` items, `more` when further items
 * match, and then `next`: the query parameters that fetch the next page, to add to the same query.
 */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    more: bool('More items match: ask again with the parameters in `next`'),
    next: opt(Type.Object({ after: opt(int()), before: opt(int()) })),
  });

export const WhoAmI = named('WhoAmI', { name: str(), role: oneOf(API_ROLES) });

export const HubInfo = named(
  'HubInfo',
  {
    version: str(),
    transport: oneOf(['grpc', 'nats'] as const, "The agents' transport"),
    agentAddress: opt(str('Where agents dial the hub, as advertised (e.g. `hub.example.com:9443`)')),
    caCertificate: opt(str('The CA agents must trust (PEM), when the hub serves TLS with its own CA')),
    caFingerprint: opt(str("The CA's public-key pin, `sha256:<hex>`: what an agent's `--hub-ca-hash` takes")),
  },
  'What a client needs to install agents',
);

const clusterSummaryFields = {
  name: str(),
  labels: stringMap(),
  condition: oneOf(
    CLUSTER_CONDITIONS,
    'Connected (its agent holds a connection), Disconnected (heard lately, no connection now), ' +
      'Stale (not heard for the stale window), NeverSeen, Revoked',
  ),
  registered: bool('Whether an agent holds a live credential (registered and not revoked)'),
  lastSeenAt: opt(time()),
  revokedAt: opt(time()),
  agentVersion: opt(str()),
  kubernetesVersion: opt(str()),
  createdAt: time(),
  state: state('Worst state over its deployments (Ready when it has none)'),
  deployments: int(),
};
export const ClusterSummary = named('ClusterSummary', clusterSummaryFields);

export const ClusterRegisterResponse = named('ClusterRegisterResponse', {
  cluster: str(),
  token: str('Shown once; the hub keeps only its hash'),
  expiresAt: time(),
  hubAddress: opt(str('Where agents dial the hub (gRPC host:port), when the hub knows its advertised address')),
});

export const GroupDetail = named('Group', {
  name: str(),
  selector: str(),
  clusters: Type.Array(str(), { description: 'Clusters the selector matches now' }),
});

export const RepoBranchView = Type.Object({
  branch: str(),
  commit: opt(str()),
  fetchedAt: opt(time()),
  error: opt(str()),
  errorAt: opt(time()),
});

export const RepoView = named('Repo', {
  name: str(),
  url: str(),
  auth: opt(stringMap('Where credentials live; sealed values show as `(sealed)`')),
  pollIntervalSeconds: int(),
  webhook: bool(),
  renderHosts: Type.Array(str(), { description: "Hosts this repo's renders may fetch Helm charts from" }),
  state: oneOf(REPO_STATES, 'Whether the remote answered the last time'),
  reachedAt: opt(time('When the remote last answered')),
  error: opt(str('Why the remote did not answer the last time; cleared when it does')),
  errorAt: opt(time()),
  branches: Type.Array(RepoBranchView),
});

/** POST /repos/{name}/sync (and a webhook's push). */
export const RepoSyncResponse = Type.Object(
  { triggered: bool('A fetch started; false when the repo has no poller yet (it fetches once it has one)') },
  { description: 'Asked for' },
);

export const EnvironmentView = named('Environment', {
  name: str(),
  repo: str(),
  branch: str(),
  group: opt(str()),
  selector: opt(str()),
  promotesTo: opt(str()),
  commit: opt(str('The commit last fetched on its branch')),
  state: state('Worst state over its deployments'),
  clusters: Type.Array(str()),
});

export const TargetView = named('Target', {
  name: str(),
  repo: str(),
  path: str(),
  environments: Type.Array(str()),
  options: anyObject('`{ selfHeal, prune, helm: { values, valuesFiles }, healthChecks }`: they decide over fleet.yaml'),
  renders: Type.Array(
    Type.Object({
      environment: str(),
      state: str(),
      commit: opt(str()),
      error: opt(str('Why the last render failed (file:line)')),
      updatedAt: opt(time()),
    }),
    { description: 'Per environment: the last render' },
  ),
  removing: opt(
    Type.Object(
      { orphan: bool(), requestedAt: time() },
      { description: 'Its removal was asked for and the hub has not finished it yet (the next reconcile does)' },
    ),
  ),
});

export const TargetRemovalView = named(
  'TargetRemoval',
  {
    target: str(),
    orphan: bool('true: the objects stay in the clusters and the agents forget them; false: the agents delete them'),
    deployments: Type.Array(Type.Object({ cluster: str(), environment: str(), objects: int() }), {
      description: 'Each deployment removed, with how many objects its bundle holds',
    }),
    objects: int('Objects in all, over every deployment'),
  },
  'What removing a target does, where',
);

export const BundleObject = Type.Object({ apiVersion: str(), kind: str(), namespace: opt(str()), name: str() });

const bundleFields = {
  digest: str(),
  size: int(),
  objectCount: int(),
  createdAt: time(),
  usedBy: Type.Array(Type.Object({ cluster: str(), target: str(), environment: str() }), {
    description: 'Deployments that use it now',
  }),
};
export const BundleView = named('Bundle', bundleFields);
export const BundleDetail = named('BundleDetail', { ...bundleFields, objects: Type.Array(BundleObject) });

export const NotReadyObject = Type.Object({
  ...BundleObject.properties,
  state: state(
    'The state it pulls its deployment towards: ErrApplied (its apply failed), Modified (drifted), NotReady, Pending',
  ),
  health: oneOf(OBJECT_HEALTHS, 'As its agent last reported it'),
  change: oneOf(OBJECT_CHANGES, "What the agent's last apply did to it"),
  message: str("The apiserver's message for a failed apply, or why the object is not ready"),
});

export const DeploymentObjects = Type.Object(
  {
    total: int(),
    ready: int(),
    notReady: Type.Array(NotReadyObject, { maxItems: NOT_READY_LISTED, description: 'Worst state first' }),
  },
  {
    description:
      'Its objects as its agent last reported them (`total - ready` are not ready); absent until the agent ' +
      'reports on this generation',
  },
);

export const DeploymentRetry = named(
  'DeploymentRetry',
  {
    attempt: int('Applies in a row that failed'),
    at: time('When the agent applies it next (2 s doubling to 5 min after a failure)'),
    reason: str('The failure it retries: the first object refused, and why'),
  },
  'A failed apply that the agent retries with backoff; `fleet deployments retry` runs it now',
);

export const DeploymentView = named('Deployment', {
  cluster: str(),
  target: str(),
  environment: str(),
  bundle: str(),
  revision: opt(str()),
  generation: int(),
  state: state(),
  message: str(),
  updatedAt: time(),
  objects: opt(DeploymentObjects),
  retry: opt(ref(DeploymentRetry)),
});

export const ClusterDetail = named('ClusterDetail', {
  ...clusterSummaryFields,
  groups: Type.Array(str()),
  environments: Type.Array(str()),
  deploymentList: Type.Array(ref(DeploymentView)),
});

export const RetryRequested = named(
  'RetryRequested',
  {
    cluster: str(),
    target: str(),
    environment: str(),
    state: state(),
    connected: bool('The agent is connected: it applies within seconds; otherwise as soon as it reconnects'),
  },
  'A deployment whose agent was asked to apply it again now',
);

export const StatusView = named(
  'Status',
  {
    state: state(),
    environments: Type.Array(
      Type.Object({
        name: str(),
        branch: str(),
        commit: opt(str()),
        state: state(),
        clusters: Type.Array(
          Type.Object({
            cluster: str(),
            condition: oneOf(CLUSTER_CONDITIONS),
            lastSeenAt: opt(time()),
            state: state(),
            targets: Type.Array(
              Type.Object({
                target: str(),
                state: state(),
                revision: opt(str()),
                message: str(),
                retry: opt(ref(DeploymentRetry)),
              }),
            ),
          }),
        ),
      }),
    ),
    problems: opt(
      Type.Array(Type.Object({ target: str(), environment: str(), commit: opt(str()), message: str() }), {
        description: 'Renders that failed or were refused (TARGET_OVERLAP): not deployed; what was deployed stays',
      }),
    ),
    nothingDeployed: opt(
      str('Why nothing is deployed, when nothing is (no environments, commit, clusters or targets)'),
    ),
    repoErrors: opt(
      Type.Array(Type.Object({ repo: str(), branch: opt(str()), message: str(), since: opt(time()) }), {
        description: 'Repos, or followed branches, the hub cannot fetch: what was fetched before stays deployed',
      }),
    ),
  },
  'Environments x clusters, the worst state first',
);

export const FleetEvent = named('Event', {
  id: int(),
  at: time(),
  kind: Type.Unsafe<EventKind | (string & {})>({
    type: 'string',
    description: `One of ${EVENT_KINDS.join(', ')}; a kind this hub does not know when a newer one wrote it`,
  }),
  cluster: opt(str()),
  repo: opt(str()),
  environment: opt(str()),
  target: opt(str()),
  bundle: opt(str()),
  actor: opt(str()),
  payload: anyObject(),
});

export const DriftView = named(
  'Drift',
  {
    cluster: str(),
    target: opt(str()),
    environment: opt(str()),
    object: str(),
    fields: Type.Array(Type.Unknown()),
    manager: opt(str()),
    changedAt: opt(time('When the drifted fields were written (managedFields), reported by the agent')),
    detectedAt: time('When the agent saw the drift, by its clock (never after reportedAt)'),
    corrected: bool(),
    correctedAt: opt(
      time("When self-heal restored the values, by the agent's clock (never after the hub received that report)"),
    ),
    reportedAt: time('When the hub received the report'),
    eventId: int(),
    truncated: opt(bool('The hub cut the report to its size limit (values end with a marker)')),
    fieldsOmitted: opt(int('Fields beyond the limit per report, not kept')),
    suppressed: opt(int('Reports over the rate limit coalesced into this one')),
  },
  'One drifted object: current when the latest report for it is not followed by a correction',
);

export const Promotion = named('Promotion', {
  id: int(),
  from: str(),
  to: str(),
  kind: oneOf(PROMOTION_KINDS),
  fromCommit: str('The `from` branch commit promoted'),
  previousCommit: str('The `to` branch before'),
  commit: str('The `to` branch after'),
  commits: Type.Array(str(), { description: 'Commits that reached `to` with this promotion (oldest first)' }),
  actor: str(),
  at: time(),
});

export const Rollback = named('Rollback', {
  id: int(),
  environment: str(),
  branch: str(),
  previousCommit: str('The head before the rollback'),
  restoredCommit: str('The commit whose tree is restored'),
  commit: str('The new commit'),
  actor: str(),
  at: time(),
});

const apiTokenFields = {
  name: str(),
  role: oneOf(API_ROLES),
  createdAt: time(),
  createdBy: str(),
  expiresAt: opt(time()),
  revokedAt: opt(time()),
  lastUsedAt: opt(time()),
};
export const ApiTokenView = named('ApiToken', apiTokenFields);
export const ApiTokenCreateResponse = named('ApiTokenCreated', {
  ...apiTokenFields,
  token: str('Shown once; the hub keeps only its hash'),
});

/** The named schemas, for the hub to register (`addSchema`) as the document's components. */
export const COMPONENTS = [
  ApiError,
  WhoAmI,
  HubInfo,
  ClusterSummary,
  ClusterDetail,
  ClusterRegisterResponse,
  GroupDetail,
  RepoView,
  EnvironmentView,
  TargetView,
  TargetRemovalView,
  BundleView,
  BundleDetail,
  DeploymentRetry,
  DeploymentView,
  RetryRequested,
  StatusView,
  FleetEvent,
  DriftView,
  Promotion,
  Rollback,
  ApiTokenView,
  ApiTokenCreateResponse,
] as const;

export * from './api-request-schema.js';
