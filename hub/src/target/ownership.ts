import { deploymentId, type DeploymentKey } from '@flotilla/common';
import { compareStrings, formatKey, groupOf, type KubeObject } from '../bundle/index.js';

/**
 * Kinds the apiserver serves without a namespace, by `group/kind`. The agent learns scopes from
 * discovery; the hub cannot, so it knows the built-in ones and the CRDs a bundle defines. A kind it
 * does not know counts as namespaced: at worst an overlap of two bundles with different default
 * namespaces goes unseen here, and the agent still refuses it (it never adopts what another holds).
 */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'certificates.k8s.io/CertificateSigningRequest',
]);

/** `group/kind` of the cluster-scoped kinds a bundle's own CRDs define. */
function crdScopes(objects: readonly KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = (o.spec ?? {}) as { group?: string; scope?: string; names?: { kind?: string } };
    if (spec.scope === 'Cluster' && spec.names?.kind) out.add(`${spec.group ?? ''}/${spec.names.kind}`);
  }
  return out;
}

/**
 * The objects of a bundle as the agent would apply them, one string each (`apps/Deployment shop/web`,
 * `Namespace shop`): a namespaced object without a namespace goes to `defaultNamespace`, a
 * cluster-scoped one loses any namespace it names. Two bundles holding the same string hold the same
 * object in a cluster.
 */
export function appliedObjects(objects: readonly KubeObject[], defaultNamespace: string): Set<string> {
  const own = crdScopes(objects);
  const out = new Set<string>();
  for (const o of objects) {
    const group = groupOf(o.apiVersion);
    const scoped = CLUSTER_SCOPED.has(`${group}/${o.kind}`) || own.has(`${group}/${o.kind}`);
    const namespace = scoped ? '' : o.metadata.namespace || defaultNamespace || 'default';
    out.add(formatKey({ group, kind: o.kind, namespace, name: o.metadata.name }));
  }
  return out;
}

/** One deployment (cluster, environment, target), and the objects it holds or asks for. */
export interface Claim extends DeploymentKey {
  /** The objects of the bundle deployed there now; undefined when none is. */
  held?: ReadonlySet<string>;
  /** The objects of the bundle this reconcile would deploy; undefined: none new (what is held stays). */
  proposed?: ReadonlySet<string>;
}

/** A proposed bundle refused on a cluster: objects of it that another deployment holds there (sorted). */
export interface Refusal extends DeploymentKey {
  holder: { environment: string; target: string };
  objects: string[];
}

const byDeployment = (a: Claim, b: Claim) =>
  compareStrings(deploymentId(a.environment, a.target), deploymentId(b.environment, b.target));

/**
 * Which proposed bundles may be deployed, so that an object belongs to one deployment per cluster.
 * Pure and deterministic. A proposal is accepted when none of its objects is in what another
 * deployment keeps (its accepted proposal, else what it holds): the deployment that holds an object
 * keeps it, one giving it up (in the same reconcile) lets another take it, and of two deployments
 * asking for the same new object the first by deployment id (`environment/target`) gets it. Of two
 * that already both hold one (from before overlaps were refused) the first keeps it and the other is
 * refused. A refused deployment keeps what it holds, so refusals never make a new overlap.
 */
export function refuseOverlaps(claims: readonly Claim[]): Refusal[] {
  const byCluster = new Map<string, Claim[]>();
  for (const c of claims) {
    const list = byCluster.get(c.cluster);
    if (list) list.push(c);
    else byCluster.set(c.cluster, [c]);
  }
  const out: Refusal[] = [];
  for (const cluster of [...byCluster.keys()].sort(compareStrings)) {
    out.push(...refuseOnCluster((byCluster.get(cluster) ?? []).sort(byDeployment)));
  }
  return out;
}

function refuseOnCluster(claims: readonly Claim[]): Refusal[] {
  const accepted = new Set<Claim>();
  const keeps = (c: Claim) => (accepted.has(c) ? c.proposed : c.held);
  const pending = claims.filter((c) => c.proposed !== undefined);
  for (let progress = true; progress;) {
    progress = false;
    for (const c of pending) {
      if (accepted.has(c) || conflicts(c, claims, keeps).size > 0) continue;
      accepted.add(c);
      progress = true;
    }
  }
  const out: Refusal[] = [];
  for (const c of pending) {
    if (accepted.has(c)) continue;
    for (const [holder, objects] of conflicts(c, claims, keeps)) {
      out.push({
        cluster: c.cluster,
        environment: c.environment,
        target: c.target,
        holder: { environment: holder.environment, target: holder.target },
        objects: objects.sort(compareStrings),
      });
    }
  }
  return out;
}

/** The other deployments keeping objects `c` proposes, each with those objects (first holder per object). */
function conflicts(
  c: Claim,
  claims: readonly Claim[],
  keeps: (c: Claim) => ReadonlySet<string> | undefined,
): Map<Claim, string[]> {
  const found = new Map<Claim, string[]>();
  for (const object of c.proposed ?? []) {
    const holder = claims.find((d) => d !== c && keeps(d)?.has(object) && !precedesAsHolder(c, d, object));
    if (holder) found.set(holder, [...(found.get(holder) ?? []), object]);
  }
  return found;
}

/** Both hold the object already: the first by deployment id keeps it. */
function precedesAsHolder(c: Claim, d: Claim, object: string): boolean {
  return c.held?.has(object) === true && d.held?.has(object) === true && byDeployment(c, d) < 0;
}
