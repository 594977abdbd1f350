import { KubeApiError, UnknownKindError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { ResourceInfo } from '../kube/discovery.js';
import { refKey, type KubeObject, type ObjectRef } from '../objects.js';
import { mapLimit } from '../util/pool.js';

/** Above this many namespaces for one resource, one cluster-wide list replaces per-namespace lists. */
const CLUSTER_WIDE_AFTER = 3;
const LIST_CONCURRENCY = 4;

interface Group {
  info: ResourceInfo;
  namespaces: Set<string>;
}

export interface LiveRead {
  /** refKey → live object, or null when known not to exist; absent when its kind is not served. */
  live: Map<string, KubeObject | null>;
  /** Resources read, for watches. */
  resources: ResourceInfo[];
}

/**
 * Reads the live state of a set of objects with few calls: one labelled list per resource and
 * namespace. Objects the inventory holds but the lists miss (their label removed) are fetched one by one.
 */
export async function readLive(
  client: KubeClient,
  refs: readonly ObjectRef[],
  labelSelector: string,
  held: ReadonlySet<string>,
  concurrency: number,
): Promise<LiveRead> {
  const groups = new Map<string, Group>();
  const known: ObjectRef[] = [];
  const scopes = new Map<string, string>();
  for (const ref of refs) {
    let info: ResourceInfo;
    try {
      info = await client.resolve(ref);
    } catch (err) {
      if (err instanceof UnknownKindError) continue;
      throw err;
    }
    known.push(ref);
    const g = groups.get(info.resource + '.' + info.group) ?? { info, namespaces: new Set<string>() };
    g.namespaces.add(info.namespaced ? ref.namespace : '');
    scopes.set(refKey(ref), scopeKey(info, info.namespaced ? ref.namespace : ''));
    groups.set(info.resource + '.' + info.group, g);
  }
  const found = new Map<string, KubeObject>();
  // Where RBAC forbids reading, the objects stay "not read" (undefined): each is then applied or
  // deleted on its own and refused by the apiserver with its reason, instead of failing the bundle.
  const forbidden = new Set<string>();
  const lists = [...groups.values()].flatMap((g) => listCalls(g));
  // Lists hold whole pages in memory: a few at a time keep the agent's peak low.
  await mapLimit(lists, Math.min(concurrency, LIST_CONCURRENCY), async ({ info, namespace }) => {
    for (const item of await listOrPerNamespace(client, info, namespace, labelSelector, groups, forbidden)) {
      found.set(refKey(refOfLive(item)), item);
    }
  });
  const unread = (r: ObjectRef) => forbidden.has(scopes.get(refKey(r)) ?? '');
  const live = new Map<string, KubeObject | null>();
  const missing = known.filter((r) => !found.has(refKey(r)) && held.has(refKey(r)) && !unread(r));
  await mapLimit(missing, concurrency, async (r) => {
    const obj = await client.get(r);
    if (obj) found.set(refKey(r), obj);
  });
  for (const r of known) if (!unread(r) || found.has(refKey(r))) live.set(refKey(r), found.get(refKey(r)) ?? null);
  return { live, resources: [...groups.values()].map((g) => g.info) };
}

function listCalls(g: Group): { info: ResourceInfo; namespace: string }[] {
  if (!g.info.namespaced) return [{ info: g.info, namespace: '' }];
  if (g.namespaces.size > CLUSTER_WIDE_AFTER) return [{ info: g.info, namespace: '*' }];
  return [...g.namespaces].map((namespace) => ({ info: g.info, namespace }));
}

function scopeKey(info: ResourceInfo, namespace: string): string {
  return `${info.resource}.${info.group}\u0000${namespace}`;
}

function isForbidden(err: unknown): boolean {
  return err instanceof KubeApiError && err.status.code === 403;
}

/** One list; a list RBAC forbids is recorded in `forbidden` and reads as empty. */
async function listOrForbidden(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string,
  labelSelector: string,
  forbidden: Set<string>,
): Promise<KubeObject[]> {
  try {
    return (await client.list(info, namespace, labelSelector)).items;
  } catch (err) {
    if (!isForbidden(err)) throw err;
    forbidden.add(scopeKey(info, namespace));
    return [];
  }
}

/** A cluster-wide list ('*') falls back to per-namespace lists when RBAC forbids it. */
async function listOrPerNamespace(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string,
  labelSelector: string,
  groups: Map<string, Group>,
  forbidden: Set<string>,
): Promise<KubeObject[]> {
  if (namespace !== '*') return listOrForbidden(client, info, namespace, labelSelector, forbidden);
  try {
    return (await client.list(info, '', labelSelector)).items;
  } catch (err) {
    if (!isForbidden(err)) throw err;
    const nss = [...(groups.get(info.resource + '.' + info.group)?.namespaces ?? [])];
    const pages = await Promise.all(nss.map((ns) => listOrForbidden(client, info, ns, labelSelector, forbidden)));
    return pages.flat();
  }
}

function refOfLive(o: KubeObject): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' };
}
