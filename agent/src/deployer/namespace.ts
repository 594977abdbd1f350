import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../objects.js';
import { PRUNE_ANNOTATION, PRUNE_DISABLED, type Bundle, type BundleNamespace } from './bundle.js';

/** On a namespace the agent created for a deployment: its id. Only such a namespace may go with its deployment. */
export const CREATED_FOR_ANNOTATION = 'flotilla.dev/created-for';

/**
 * Labels a bundle's namespaceLabels never set, as in Fleet: pod security is the cluster
 * administrator's, and a commit must not relax it on a namespace. A Namespace object in the bundle
 * may still carry them (then the project's policy decides).
 */
const POD_SECURITY = 'pod-security.kubernetes.io/';

/** Keys Flotilla itself sets: a repository's labels and annotations cannot forge them. */
const OURS = 'flotilla.dev/';

function settable(m: Record<string, string>, dropPodSecurity: boolean): Record<string, string> {
  return Object.fromEntries(
    Object.entries(m).filter(([k]) => !k.startsWith(OURS) && !(dropPodSecurity && k.startsWith(POD_SECURITY))),
  );
}

const isNamespace = (name: string) => (o: KubeObject) =>
  o?.apiVersion === 'v1' && o.kind === 'Namespace' && o.metadata?.name === name;

/**
 * The bundle's objects with the namespace its options name, the way Fleet creates a bundle's target
 * namespace; `live` is that namespace as the cluster has it (null: absent).
 *  - Absent, or created for this deployment before: a Namespace object leads the bundle, marked
 *    created-for, with namespaceLabels and namespaceAnnotations. Like any object it is applied first
 *    (stage 0), kept in the inventory and corrected when it drifts; when it leaves, it stays in the
 *    cluster (prune disabled) unless `deleteWithDeployment`.
 *  - There already, made by someone else (by hand, another deployment, the platform): left as it is,
 *    unless the bundle labels or annotates it; then those are applied, and it is never deleted.
 *  - Declared by the bundle itself: that object, with the labels and annotations added.
 */
export function namespaceObjects(bundle: Bundle, live: KubeObject | null): KubeObject[] {
  const ns = bundle.options.namespace;
  if (!ns) return bundle.objects;
  const labels = settable(ns.labels, true);
  const annotations = settable(ns.annotations, false);
  const asks = Object.keys(labels).length > 0 || Object.keys(annotations).length > 0;
  const own = bundle.objects.findIndex(isNamespace(ns.name));
  if (own >= 0) {
    if (!asks) return bundle.objects;
    return bundle.objects.map((o, i) => (i === own ? labelled(o, labels, annotations) : o));
  }
  const created = live === null || live.metadata.annotations?.[CREATED_FOR_ANNOTATION] === bundle.deployment;
  if (!created && !asks) return bundle.objects;
  const kept = !(created && ns.deleteWithDeployment);
  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns.name,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      annotations: {
        ...annotations,
        ...(created ? { [CREATED_FOR_ANNOTATION]: bundle.deployment } : {}),
        ...(kept ? { [PRUNE_ANNOTATION]: PRUNE_DISABLED } : {}),
      },
    },
  };
  return [namespace, ...bundle.objects];
}

/** Fleet sets namespaceLabels and namespaceAnnotations over what the namespace has: they win. */
function labelled(o: KubeObject, labels: Record<string, string>, annotations: Record<string, string>): KubeObject {
  const meta = { ...o.metadata };
  if (Object.keys(labels).length > 0) meta.labels = { ...meta.labels, ...labels };
  if (Object.keys(annotations).length > 0) meta.annotations = { ...meta.annotations, ...annotations };
  return { ...o, metadata: meta };
}

/** The bundle with its namespace (see namespaceObjects): one read of that namespace when the options name one. */
export async function withBundleNamespace(bundle: Bundle, client: KubeClient): Promise<Bundle> {
  const ns: BundleNamespace | undefined = bundle.options.namespace;
  if (!ns) return bundle;
  const live = (await client.get({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: ns.name })) ?? null;
  return { ...bundle, objects: namespaceObjects(bundle, live) };
}
