/**
 * What the HTTP API accepts: request bodies, path parameters and query strings as JSON Schema
 * (TypeBox). The hub validates every request against these (unknown fields are refused) before its
 * own checks, which name the field and the bad value where a schema cannot (labels, selectors, paths).
 */
import { Type } from '@sinclair/typebox';
import { EVENT_KINDS } from '@flotilla/common';
import { CEL_LIMITS } from './health-checks.js';
import { BUNDLE_STATES } from './states.js';
import {
  API_ROLES,
  CLUSTER_NAME_RULE,
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  PAGE_LIMITS,
  REPO_AUTH_KEYS,
  type RepoAuthKey,
} from './api.js';

const closed = { additionalProperties: false } as const;
const oneOf = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

/** Names of groups, repos, environments, targets and tokens: DNS-label-like. */
export const NAME_PATTERN = '^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$';
export const Name = Type.String({ pattern: NAME_PATTERN, maxLength: 63 });
/** A Git branch name, as far as a URL and a refspec need: no spaces, `~^:?*[\`. */
const Branch = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s~^:?*\\[\\\\]+$' });
/** Checked by the hub itself (proto names.ts), so that an error names the field and the bad value. */
const Labels = Type.Unsafe<Record<string, string>>({
  type: 'object',
  description: `${LABEL_KEY_RULE}; ${LABEL_VALUE_RULE}`,
  additionalProperties: { type: 'string' },
});
const Selector = Type.String({ maxLength: 4096 });

/** `/{name}`: any string here; a name that does not exist is a 404 naming it. */
export const NameParams = Type.Object({ name: Type.String() });
export const NewNameParams = Type.Object({ name: Name });
export const DigestParams = Type.Object({ digest: Type.String({ pattern: '^[0-9a-f]{8,64}$' }) });
export const RepoParams = Type.Object({ repo: Type.String() });

export const ApiTokenCreateRequest = Type.Object(
  { name: Name, role: oneOf(API_ROLES), ttlSeconds: Type.Optional(Type.Integer({ minimum: 60 })) },
  closed,
);

export const ClusterRegisterRequest = Type.Object(
  {
    name: Type.String({ description: CLUSTER_NAME_RULE }),
    labels: Type.Optional(Labels),
    ttlSeconds: Type.Optional(
      Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600, description: 'Seconds the token stays valid; default 3600' }),
    ),
  },
  closed,
);

export const LabelsPatch = Type.Object(
  { set: Type.Optional(Labels), remove: Type.Optional(Type.Array(Type.String())) },
  closed,
);

export const GroupPutRequest = Type.Object({ selector: Selector }, closed);

const RenderHosts = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
  maxItems: 100,
  description:
    "Hosts this repo's renders may fetch Helm charts from: names, `*.domain`, IP addresses, CIDRs. None by " +
    'default; a loopback, link-local or private address only when listed itself.',
});

/** Credentials (sealed by the hub before it stores them), or where they live: a file or a variable. */
const RepoAuth = Type.Unsafe<Partial<Record<RepoAuthKey, string>>>({
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(REPO_AUTH_KEYS.map((k) => [k, { type: 'string', minLength: 1 }])),
});

export const RepoCreateRequest = Type.Object(
  {
    name: Name,
    url: Type.String({ pattern: '^https?://', maxLength: 2048, description: 'http(s) URL of the Git repository' }),
    auth: Type.Optional(RepoAuth),
    pollIntervalSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86400 })),
    webhookSecret: Type.Optional(
      Type.String({ minLength: 16, description: 'Shared secret for push webhooks; stored sealed, never returned' }),
    ),
    renderHosts: Type.Optional(RenderHosts),
  },
  closed,
);

export const RepoRenderHostsRequest = Type.Object({ renderHosts: RenderHosts }, closed);

export const Environment = Type.Object(
  {
    name: Name,
    repo: Name,
    branch: Branch,
    group: Type.Optional(Name),
    selector: Type.Optional(Selector),
    promotesTo: Type.Optional(Name),
  },
  closed,
);

/** Helm values a target sets over the repository's (docs/fleet-yaml.md: the order they merge in). */
export const TargetHelmOptions = Type.Object(
  {
    values: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        description: "Helm values, over fleet.yaml's and its customization's; `${ .ClusterLabels.x }` works",
      }),
    ),
    valuesFiles: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
        maxItems: 64,
        description: "Values files in the repo, relative to the target's path (no `..`), after fleet.yaml's",
      }),
    ),
  },
  closed,
);

export const TargetOptions = Type.Object(
  {
    selfHeal: Type.Optional(Type.Boolean()),
    prune: Type.Optional(Type.Boolean()),
    helm: Type.Optional(TargetHelmOptions),
  },
  {
    ...closed,
    description:
      'Decide over fleet.yaml: selfHeal (correct drift, default true), prune (default true), and Helm ' +
      'values and values files for a chart (docs/fleet-yaml.md: the order they merge in).',
  },
);

export const Target = Type.Object(
  {
    name: Name,
    repo: Name,
    path: Type.String({ maxLength: 1024 }),
    environments: Type.Array(Name, { minItems: 1, uniqueItems: true }),
    options: Type.Optional(TargetOptions),
  },
  closed,
);

export const TargetRemoveQuery = Type.Object(
  { orphan: Type.Optional(Type.Boolean()), dryRun: Type.Optional(Type.Boolean()) },
  closed,
);

const Expression = Type.String({ maxLength: CEL_LIMITS.maxExpressionLength });

export const HealthCheckRuleInput = Type.Object(
  {
    apiVersion: Type.String({ minLength: 1, maxLength: 253 }),
    kind: Type.String({ minLength: 1, maxLength: 63 }),
    current: Type.String({ maxLength: CEL_LIMITS.maxExpressionLength, minLength: 1 }),
    inProgress: Type.Optional(Expression),
    failed: Type.Optional(Expression),
  },
  closed,
);

export const HealthChecksRequest = Type.Object(
  { healthChecks: Type.Array(HealthCheckRuleInput, { maxItems: CEL_LIMITS.maxRules }) },
  closed,
);

/** The deployments to apply again now. Without `state`, those not Ready. */
export const RetryRequest = Type.Object(
  {
    cluster: Type.Optional(Type.String({ minLength: 1 })),
    target: Type.Optional(Type.String({ minLength: 1 })),
    environment: Type.Optional(Type.String({ minLength: 1 })),
    state: Type.Optional(oneOf(BUNDLE_STATES)),
  },
  closed,
);

export const PromotionRequest = Type.Object(
  {
    from: Name,
    to: Name,
    requireHealthy: Type.Optional(
      Type.Boolean({ description: 'Refuse unless every deployment of `from` is Ready at the commit promoted' }),
    ),
  },
  closed,
);

export const RollbackRequest = Type.Object(
  {
    environment: Name,
    to: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{4,40}$',
        description: "Restore the tree of this commit (an ancestor of the branch head); default: the head's parent",
      }),
    ),
  },
  closed,
);

export const HistoryQuery = Type.Object(
  {
    environment: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  closed,
);

export const DeploymentsQuery = Type.Object(
  {
    cluster: Type.Optional(Type.String()),
    target: Type.Optional(Type.String()),
    environment: Type.Optional(Type.String()),
    state: Type.Optional(oneOf(BUNDLE_STATES)),
  },
  closed,
);

export const StatusQuery = Type.Object({ environment: Type.Optional(Type.String()) }, closed);

/** A page size: larger asks are served PAGE_LIMITS.max at a time (the reply says there is more). */
const Limit = Type.Integer({
  minimum: 1,
  description: `Items per page (default ${PAGE_LIMITS.default}, at most ${PAGE_LIMITS.max}: more is served a page at a time)`,
});

export const DriftQuery = Type.Object(
  {
    cluster: Type.Optional(Type.String()),
    environment: Type.Optional(Type.String()),
    history: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Limit),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only drift with a smaller eventId (from `next`)' })),
  },
  closed,
);

export const EventQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only events with a greater id (oldest first)' })),
    before: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Only events with a smaller id (the newest of them)' }),
    ),
    limit: Type.Optional(Limit),
    newest: Type.Optional(Type.Boolean()),
    kind: Type.Optional(oneOf(EVENT_KINDS)),
    cluster: Type.Optional(Type.String()),
    repo: Type.Optional(Type.String()),
    environment: Type.Optional(Type.String()),
    target: Type.Optional(Type.String()),
  },
  closed,
);
