import { createHash } from 'node:crypto';
import { deploymentId } from '@flotilla/common';
import type { BundleOptions, DeploymentRef, HealthCheckRule } from '@flotilla/proto';
import type { Deployment, JsonObject, Store } from '../store/index.js';

export interface DesiredSet {
  /** A digest of the whole desired set as a uint64 (decimal): equal sets, equal generations. */
  generation: string;
  deployments: DeploymentRef[];
  /** Deployments (`environment/target`) the agent forgets without deleting their objects (see OrphanStore). */
  orphaned: string[];
}

/** The namespace an agent gives namespaced objects that name none ('' : the agent's own default, `default`). */
export function targetNamespace(o: JsonObject): string {
  return typeof o.namespace === 'string'
    ? o.namespace
    : typeof o.defaultNamespace === 'string'
      ? o.defaultNamespace
      : '';
}

function toWireOptions(o: JsonObject): BundleOptions {
  const ignore = Array.isArray(o.ignore)
    ? (o.ignore as { object?: Record<string, string>; jsonPointers?: string[] }[])
    : [];
  return {
    defaultNamespace: targetNamespace(o),
    selfHeal: o.selfHeal !== false,
    prune: o.prune !== false,
    forceConflicts: o.forceConflicts === true,
    ignore: ignore.map((r) => ({ object: r.object ?? {}, jsonPointers: r.jsonPointers ?? [] })),
    dependsOn: Array.isArray(o.dependsOn) ? (o.dependsOn as string[]) : [],
    healthChecks: healthChecksOf(o),
    ...namespaceOf(o),
  };
}

const stringMap = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

/**
 * The namespace the agent creates for the bundle, as Fleet does: fleet.yaml's `namespace`, else its
 * `defaultNamespace`; none when it names neither (objects then go to the agent's default namespace,
 * which exists).
 */
function namespaceOf(o: JsonObject): Pick<BundleOptions, 'namespace'> {
  const name = typeof o.namespace === 'string' ? o.namespace : o.defaultNamespace;
  if (typeof name !== 'string' || name === '') return {};
  return {
    namespace: {
      name,
      labels: stringMap(o.namespaceLabels),
      annotations: stringMap(o.namespaceAnnotations),
      deleteWithDeployment: o.deleteNamespace === true && o.keepResources !== true,
      enforce: typeof o.namespace === 'string',
    },
  };
}

/** A target's custom health rules (checked by the API when set), as the agents take them. */
function healthChecksOf(o: JsonObject): HealthCheckRule[] {
  if (!Array.isArray(o.healthChecks)) return [];
  return (o.healthChecks as Partial<Record<keyof HealthCheckRule, unknown>>[]).map((r) => ({
    apiVersion: String(r.apiVersion ?? ''),
    kind: String(r.kind ?? ''),
    current: String(r.current ?? ''),
    inProgress: String(r.inProgress ?? ''),
    failed: String(r.failed ?? ''),
  }));
}

type Sizes = (digest: string) => number;

function desiredSet(deployments: readonly Deployment[], orphans: readonly string[], size: Sizes): DesiredSet {
  const refs: DeploymentRef[] = deployments.map((d) => ({
    deployment: deploymentId(d.environment, d.target),
    digest: d.bundle,
    generation: d.generation,
    sizeBytes: size(d.bundle),
    revision: d.revision ?? '',
    options: toWireOptions(d.options),
    // Only once asked for: the generations of deployments never retried stay as they were.
    ...(d.retryRequests ? { retryRequests: d.retryRequests } : {}),
  }));
  // A deployment desired again is no longer orphaned; without orphans the hash is the refs' alone.
  const desired = new Set(refs.map((r) => r.deployment));
  const orphaned = orphans.filter((id) => !desired.has(id));
  const h = createHash('sha256')
    .update(JSON.stringify(orphaned.length > 0 ? { deployments: refs, orphaned } : refs))
    .digest();
  return {
    generation: h.readBigUInt64BE(0).toString(),
    deployments: refs,
    orphaned,
  };
}

/** Bundle sizes by digest, each looked up once (a digest's size never changes). */
function sizes(store: Store): Sizes {
  const known = new Map<string, number>();
  return (digest) => {
    let n = known.get(digest);
    if (n === undefined) known.set(digest, (n = store.bundles.get(digest)?.size ?? 0));
    return n;
  };
}

/**
 * What one cluster must run, as the hub announces it. The generation is a hash, not a counter: an
 * agent that reports the generation it applied is answered "unchanged" in a few bytes.
 */
export function desiredFor(store: Store, cluster: string): DesiredSet {
  const orphans = store.orphans.list(cluster).map((o) => o.deployment);
  return desiredSet(store.deployments.list({ cluster }), orphans, sizes(store));
}

/**
 * The desired sets of many clusters from one query of the deployments (after a reconcile every
 * connected agent's set is compared; a query per cluster cost O(clusters) statements). A cluster
 * with no deployment has the empty set.
 */
/** Up to this many clusters, their deployments are read by cluster (indexed) rather than all at once. */
const FEW_CLUSTERS = 32;

export function desiredForAll(store: Store, clusters: Iterable<string>): Map<string, DesiredSet> {
  const byCluster = new Map<string, Deployment[]>();
  for (const c of clusters) byCluster.set(c, []);
  // A few clusters (a reconcile's chunk, a retry): a query each, not a read of every deployment.
  if (byCluster.size <= FEW_CLUSTERS)
    for (const c of byCluster.keys()) byCluster.set(c, store.deployments.list({ cluster: c }));
  else for (const d of store.deployments.list()) byCluster.get(d.cluster)?.push(d);
  const orphans = new Map<string, string[]>();
  for (const o of store.orphans.list()) orphans.set(o.cluster, [...(orphans.get(o.cluster) ?? []), o.deployment]);
  const size = sizes(store);
  return new Map([...byCluster].map(([c, ds]) => [c, desiredSet(ds, orphans.get(c) ?? [], size)]));
}
