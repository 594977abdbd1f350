import type { FastifyInstance, RouteOptions } from 'fastify';
import { BUNDLE_STATES } from '@flotilla/proto';
import {
  API_ROLES,
  CLUSTER_CONDITIONS,
  NOT_READY_LISTED,
  OBJECT_CHANGES,
  OBJECT_HEALTHS,
  PROMOTION_KINDS,
  REPO_STATES,
} from '@flotilla/proto/api';

declare module 'fastify/types/schema.js' {
  /** Route documentation, read into /openapi.json (fastify itself ignores these keys). */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
  }
}

const str = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const state = { type: 'string', enum: [...BUNDLE_STATES] } as const;
const labels = { type: 'object', additionalProperties: str } as const;
const obj = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', required, properties });
const list = (item: string) =>
  obj(['items'], { items: { type: 'array', items: { $ref: `#/components/schemas/${item}` } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A page of history (proto/src/api.ts `Page`): `next` holds the query parameters of the next page. */
const page = (item: string) =>
  obj(['items', 'more'], {
    items: { type: 'array', items: ref(item) },
    more: { type: 'boolean', description: 'More items match: ask again with the parameters in `next`' },
    next: obj([], { after: { type: 'integer' }, before: { type: 'integer' } }),
  });

/** The shapes of proto/src/api.ts, as JSON Schema, for the OpenAPI document. */
const SCHEMAS: Record<string, unknown> = {
  Error: obj(['code', 'message'], { code: str, message: str, hint: str, details: { type: 'object' } }),
  WhoAmI: obj(['name', 'role'], { name: str, role: { type: 'string', enum: [...API_ROLES] } }),
  HubInfo: obj(['version', 'transport'], {
    version: str,
    transport: { type: 'string', enum: ['grpc', 'nats'] },
    agentAddress: str,
    caCertificate: str,
    caFingerprint: str,
  }),
  ClusterSummary: obj(['name', 'labels', 'condition', 'registered', 'createdAt', 'state', 'deployments'], {
    name: str,
    labels,
    condition: { type: 'string', enum: [...CLUSTER_CONDITIONS] },
    registered: { type: 'boolean' },
    lastSeenAt: time,
    revokedAt: time,
    agentVersion: str,
    kubernetesVersion: str,
    createdAt: time,
    state,
    deployments: { type: 'integer' },
  }),
  ClusterDetail: {
    allOf: [
      ref('ClusterSummary'),
      obj(['groups', 'environments', 'deploymentList'], {
        groups: { type: 'array', items: str },
        environments: { type: 'array', items: str },
        deploymentList: { type: 'array', items: ref('Deployment') },
      }),
    ],
  },
  ClusterRegisterResponse: obj(['cluster', 'token', 'expiresAt'], {
    cluster: str,
    token: str,
    expiresAt: time,
    hubAddress: str,
  }),
  Group: obj(['name', 'selector', 'clusters'], { name: str, selector: str, clusters: { type: 'array', items: str } }),
  Repo: obj(['name', 'url', 'pollIntervalSeconds', 'webhook', 'state', 'branches'], {
    name: str,
    url: str,
    auth: labels,
    pollIntervalSeconds: { type: 'integer' },
    webhook: { type: 'boolean' },
    state: { type: 'string', enum: [...REPO_STATES], description: 'Whether the remote answered the last time' },
    reachedAt: time,
    error: str,
    errorAt: time,
    branches: {
      type: 'array',
      items: obj(['branch'], { branch: str, commit: str, fetchedAt: time, error: str, errorAt: time }),
    },
  }),
  Environment: obj(['name', 'repo', 'branch', 'state', 'clusters'], {
    name: str,
    repo: str,
    branch: str,
    group: str,
    selector: str,
    promotesTo: str,
    commit: str,
    state,
    clusters: { type: 'array', items: str },
  }),
  Target: obj(['name', 'repo', 'path', 'environments', 'options', 'renders'], {
    name: str,
    repo: str,
    path: str,
    environments: { type: 'array', items: str },
    options: obj([], {
      selfHeal: { type: 'boolean' },
      prune: { type: 'boolean' },
      helm: obj([], {
        values: { type: 'object', description: "Helm values, over fleet.yaml's and its customization's" },
        valuesFiles: {
          type: 'array',
          items: str,
          description: "Values files in the repo, relative to the target's path, after fleet.yaml's",
        },
      }),
    }),
    renders: {
      type: 'array',
      items: obj(['environment', 'state'], { environment: str, state: str, commit: str, error: str, updatedAt: time }),
    },
    removing: obj(['orphan', 'requestedAt'], { orphan: { type: 'boolean' }, requestedAt: time }),
  }),
  TargetRemoval: obj(['target', 'orphan', 'deployments', 'objects'], {
    target: str,
    orphan: { type: 'boolean' },
    deployments: {
      type: 'array',
      items: obj(['cluster', 'environment', 'objects'], {
        cluster: str,
        environment: str,
        objects: { type: 'integer' },
      }),
    },
    objects: { type: 'integer' },
  }),
  Bundle: obj(['digest', 'size', 'objectCount', 'createdAt', 'usedBy'], {
    digest: str,
    size: { type: 'integer' },
    objectCount: { type: 'integer' },
    createdAt: time,
    usedBy: {
      type: 'array',
      items: obj(['cluster', 'target', 'environment'], { cluster: str, target: str, environment: str }),
    },
  }),
  BundleDetail: {
    allOf: [
      ref('Bundle'),
      obj(['objects'], {
        objects: {
          type: 'array',
          items: obj(['apiVersion', 'kind', 'name'], { apiVersion: str, kind: str, namespace: str, name: str }),
        },
      }),
    ],
  },
  Deployment: obj(['cluster', 'target', 'environment', 'bundle', 'generation', 'state', 'message', 'updatedAt'], {
    cluster: str,
    target: str,
    environment: str,
    bundle: str,
    revision: str,
    generation: { type: 'integer' },
    state,
    message: str,
    updatedAt: time,
    retry: ref('DeploymentRetry'),
    objects: obj(['total', 'ready', 'notReady'], {
      total: { type: 'integer' },
      ready: { type: 'integer' },
      notReady: {
        type: 'array',
        maxItems: NOT_READY_LISTED,
        items: obj(['apiVersion', 'kind', 'name', 'state', 'health', 'change', 'message'], {
          apiVersion: str,
          kind: str,
          namespace: str,
          name: str,
          state,
          health: { type: 'string', enum: [...OBJECT_HEALTHS] },
          change: { type: 'string', enum: [...OBJECT_CHANGES] },
          message: str,
        }),
      },
    }),
  }),
  DeploymentRetry: obj(['attempt', 'at', 'reason'], {
    attempt: { type: 'integer', description: 'Applies in a row that failed' },
    at: { ...time, description: 'When the agent applies it next (2 s doubling to 5 min after a failure)' },
    reason: { type: 'string', description: 'The failure it retries: the first object refused, and why' },
  }),
  RetryRequested: obj(['cluster', 'target', 'environment', 'state', 'connected'], {
    cluster: str,
    target: str,
    environment: str,
    state,
    connected: { type: 'boolean', description: 'The agent is connected; otherwise it applies once it reconnects' },
  }),
  Status: obj(['state', 'environments'], {
    state,
    environments: {
      type: 'array',
      items: obj(['name', 'branch', 'state', 'clusters'], {
        name: str,
        branch: str,
        commit: str,
        state,
        clusters: {
          type: 'array',
          items: obj(['cluster', 'condition', 'state', 'targets'], {
            cluster: str,
            condition: { type: 'string', enum: [...CLUSTER_CONDITIONS] },
            lastSeenAt: time,
            state,
            targets: {
              type: 'array',
              items: obj(['target', 'state', 'message'], {
                target: str,
                state,
                revision: str,
                message: str,
                retry: ref('DeploymentRetry'),
              }),
            },
          }),
        },
      }),
    },
    problems: {
      type: 'array',
      description: 'Renders that failed or were refused (TARGET_OVERLAP): not deployed; what was deployed stays',
      items: obj(['target', 'environment', 'message'], { target: str, environment: str, commit: str, message: str }),
    },
    nothingDeployed: {
      type: 'string',
      description: 'Why nothing is deployed, when nothing is (no environments, commit, clusters or targets)',
    },
    repoErrors: {
      type: 'array',
      description: 'Repos, or followed branches, the hub cannot fetch: what was fetched before stays deployed',
      items: obj(['repo', 'message'], { repo: str, branch: str, message: str, since: time }),
    },
  }),
  Drift: obj(['cluster', 'object', 'fields', 'detectedAt', 'corrected', 'reportedAt', 'eventId'], {
    cluster: str,
    target: str,
    environment: str,
    object: str,
    fields: { type: 'array' },
    manager: str,
    changedAt: { ...time, description: 'When the drifted fields were written (managedFields), reported by the agent' },
    detectedAt: { ...time, description: 'When the agent saw the drift, by its clock (never after reportedAt)' },
    corrected: { type: 'boolean' },
    correctedAt: {
      ...time,
      description:
        "When self-heal restored the values, by the agent's clock (never after the hub received that report)",
    },
    reportedAt: { ...time, description: 'When the hub received the report' },
    eventId: { type: 'integer' },
    truncated: { type: 'boolean', description: 'The hub cut the report to its size limit (values end with a marker)' },
    fieldsOmitted: { type: 'integer', description: 'Fields beyond the limit per report, not kept' },
    suppressed: { type: 'integer', description: 'Reports over the rate limit coalesced into this one' },
  }),
  Event: obj(['id', 'at', 'kind', 'payload'], {
    id: { type: 'integer' },
    at: time,
    kind: str,
    cluster: str,
    repo: str,
    environment: str,
    target: str,
    bundle: str,
    actor: str,
    payload: { type: 'object' },
  }),
  Promotion: obj(['id', 'from', 'to', 'kind', 'fromCommit', 'previousCommit', 'commit', 'commits', 'actor', 'at'], {
    id: { type: 'integer' },
    from: str,
    to: str,
    kind: { type: 'string', enum: [...PROMOTION_KINDS] },
    fromCommit: str,
    previousCommit: str,
    commit: str,
    commits: { type: 'array', items: str },
    actor: str,
    at: time,
  }),
  Rollback: obj(['id', 'environment', 'branch', 'previousCommit', 'restoredCommit', 'commit', 'actor', 'at'], {
    id: { type: 'integer' },
    environment: str,
    branch: str,
    previousCommit: str,
    restoredCommit: str,
    commit: str,
    actor: str,
    at: time,
  }),
  ApiToken: obj(['name', 'role', 'createdAt', 'createdBy'], {
    name: str,
    role: { type: 'string', enum: [...API_ROLES] },
    createdAt: time,
    createdBy: str,
    expiresAt: time,
    revokedAt: time,
    lastUsedAt: time,
    token: { type: 'string', description: 'Only in the response that creates it.' },
  }),
};

/** The success response of each route, by "METHOD path" (204s and streams have none). */
const RESPONSES: Record<string, string> = {
  'GET /api/v1/whoami': 'WhoAmI',
  'GET /api/v1/hub': 'HubInfo',
  'GET /api/v1/clusters': 'list:ClusterSummary',
  'GET /api/v1/clusters/{name}': 'ClusterDetail',
  'POST /api/v1/clusters': 'ClusterRegisterResponse',
  'PATCH /api/v1/clusters/{name}/labels': 'ClusterSummary',
  'POST /api/v1/clusters/{name}/revoke': 'ClusterSummary',
  'GET /api/v1/groups': 'list:Group',
  'GET /api/v1/groups/{name}': 'Group',
  'PUT /api/v1/groups/{name}': 'Group',
  'GET /api/v1/repos': 'list:Repo',
  'GET /api/v1/repos/{name}': 'Repo',
  'POST /api/v1/repos': 'Repo',
  'GET /api/v1/environments': 'list:Environment',
  'GET /api/v1/environments/{name}': 'Environment',
  'POST /api/v1/environments': 'Environment',
  'GET /api/v1/targets': 'list:Target',
  'GET /api/v1/targets/{name}': 'Target',
  'POST /api/v1/targets': 'Target',
  'PUT /api/v1/targets/{name}/health-checks': 'Target',
  'DELETE /api/v1/targets/{name}': 'TargetRemoval',
  'GET /api/v1/bundles': 'list:Bundle',
  'GET /api/v1/bundles/{digest}': 'BundleDetail',
  'GET /api/v1/deployments': 'list:Deployment',
  'POST /api/v1/deployments/retry': 'list:RetryRequested',
  'GET /api/v1/status': 'Status',
  'GET /api/v1/drift': 'page:Drift',
  'GET /api/v1/events': 'page:Event',
  'GET /api/v1/promotions': 'list:Promotion',
  'POST /api/v1/promotions': 'Promotion',
  'GET /api/v1/rollbacks': 'list:Rollback',
  'POST /api/v1/rollbacks': 'Rollback',
  'GET /api/v1/tokens': 'list:ApiToken',
  'POST /api/v1/tokens': 'ApiToken',
};

const CREATED = new Set([
  'POST /api/v1/clusters',
  'POST /api/v1/repos',
  'POST /api/v1/environments',
  'POST /api/v1/targets',
  'POST /api/v1/promotions',
  'POST /api/v1/rollbacks',
  'POST /api/v1/tokens',
]);

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  body?: unknown;
  querystring?: { properties?: Record<string, unknown>; required?: string[] };
  params?: { properties?: Record<string, unknown> };
}

/**
 * Collects every route as it is registered and builds the OpenAPI 3.1 document from the same JSON
 * schemas that validate requests, so the document cannot drift from what the hub accepts.
 */
export function openApiCollector(app: FastifyInstance, version: string): () => Record<string, unknown> {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (r) => {
    if (r.method === 'HEAD' || (Array.isArray(r.method) && r.method.includes('HEAD'))) return;
    routes.push(r);
  });
  let doc: Record<string, unknown> | undefined;
  return () => {
    doc ??= build(routes, version);
    return doc;
  };
}

function build(routes: readonly RouteOptions[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const s = (r.schema ?? {}) as RouteSchema;
    const role = (r.config as { role?: string } | undefined)?.role;
    for (const m of [r.method].flat()) {
      const method = String(m).toLowerCase();
      const key = `${String(m)} ${path}`;
      const response = RESPONSES[key];
      const success = CREATED.has(key) ? '201' : key.endsWith('/sync') ? '202' : '200';
      const responses: Record<string, unknown> = {};
      if (path === '/api/v1/events/stream') {
        responses['200'] = {
          description: 'Server-Sent Events: one `Event` per message (id, event kind, data)',
          content: { 'text/event-stream': {} },
        };
      } else if (response) {
        const schema = response.startsWith('list:')
          ? list(response.slice(5))
          : response.startsWith('page:')
            ? page(response.slice(5))
            : ref(response);
        responses[success] = { description: 'OK', content: { 'application/json': { schema } } };
        if (key === 'POST /api/v1/promotions') {
          responses['200'] = {
            description: 'Already up to date: nothing pushed',
            content: { 'application/json': { schema } },
          };
        }
      } else if (method === 'delete') {
        responses['204'] = { description: 'Done' };
      } else {
        responses[success] = { description: 'OK' };
      }
      const err = { content: { 'application/json': { schema: ref('Error') } } };
      responses['400'] = { description: 'Invalid input', ...err };
      if (role) {
        responses['401'] = { description: 'No, unknown, expired or revoked token', ...err };
        responses['403'] = { description: `Needs role ${role} or higher`, ...err };
      }
      if (path.includes('{')) responses['404'] = { description: 'Not found', ...err };
      const parameters = [
        ...Object.entries(s.params?.properties ?? {}).map(([name, schema]) => ({
          name,
          in: 'path',
          required: true,
          schema,
        })),
        ...Object.entries(s.querystring?.properties ?? {}).map(([name, schema]) => ({
          name,
          in: 'query',
          required: s.querystring?.required?.includes(name) ?? false,
          schema,
        })),
      ];
      for (const p of path.matchAll(/\{([A-Za-z]+)\}/g)) {
        if (!parameters.some((x) => x.name === p[1]))
          parameters.unshift({ name: p[1] ?? '', in: 'path', required: true, schema: str });
      }
      (paths[path] ??= {})[method] = {
        ...(s.summary ? { summary: s.summary } : {}),
        ...(s.description ? { description: s.description } : {}),
        ...(s.tags ? { tags: s.tags } : {}),
        ...(role ? { security: [{ bearer: [] }], 'x-flotilla-role': role } : { security: [] }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } } : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flotilla hub API',
      version,
      description:
        'Clusters, groups, repos, environments, targets, bundles, deployments, drift, events, promotions and ' +
        'rollbacks. Bearer tokens with roles viewer < operator < admin; see the README for the first admin token.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: SCHEMAS },
    security: [{ bearer: [] }],
    paths,
  };
}
