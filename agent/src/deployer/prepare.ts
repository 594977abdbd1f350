import type { FlotillaError } from '@flotilla/proto';
import { InvalidObjectError } from '../errors.js';
import { digestOf, groupOf, isPlainObject, refKey, type KubeObject, type ObjectRef } from '../objects.js';
import { DEPLOYMENT_LABEL, deploymentLabelValue, type Bundle } from './bundle.js';

/** A bundle object ready to apply: normalized, labelled, digested, staged. */
export interface DesiredObject {
  ref: ObjectRef;
  key: string;
  object: KubeObject;
  /** Digest of `object`: what Git asks for, compared with what was applied last. */
  digest: string;
  /** 0: CRDs and Namespaces, applied first; 1: everything else. */
  stage: 0 | 1;
}

export interface InvalidObject {
  ref: ObjectRef;
  error: FlotillaError;
}

/** Whether objects of a kind live in namespaces; undefined when the cluster does not know the kind yet. */
export type ScopeOf = (apiVersion: string, kind: string) => boolean | undefined;

const SERVER_OWNED_META = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink'];

export function stageOf(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): 0 | 1 {
  const crd = ref.kind === 'CustomResourceDefinition' && groupOf(ref.apiVersion) === 'apiextensions.k8s.io';
  return crd || (ref.kind === 'Namespace' && ref.apiVersion === 'v1') ? 0 : 1;
}

/** Validates and normalizes a bundle's objects; invalid ones are returned apart, named. */
export function prepare(bundle: Bundle, scopeOf: ScopeOf): { desired: DesiredObject[]; invalid: InvalidObject[] } {
  const desired: DesiredObject[] = [];
  const invalid: InvalidObject[] = [];
  const seen = new Set<string>();
  const scope = withBundleCrds(bundle.objects, scopeOf);
  const label = deploymentLabelValue(bundle.deployment);
  const home = bundle.options.namespace?.enforce ? bundle.options.namespace.name : undefined;
  bundle.objects.forEach((raw, i) => {
    const ref = looseRef(raw);
    const namespaced = scope(raw.apiVersion, raw.kind);
    const problem = validate(raw, i) ?? (home !== undefined ? outsideHome(raw, namespaced, home) : undefined);
    if (problem) return invalid.push({ ref, error: new InvalidObjectError(problem) });
    const object = normalize(raw, namespaced, bundle.options.defaultNamespace, label, home);
    const r: ObjectRef = { ...ref, namespace: object.metadata.namespace ?? '' };
    const key = refKey(r);
    if (seen.has(key)) {
      return invalid.push({ ref: r, error: new InvalidObjectError(`object #${i + 1} appears twice in the bundle`) });
    }
    seen.add(key);
    desired.push({ ref: r, key, object, digest: digestOf(object), stage: stageOf(r) });
  });
  return { desired, invalid };
}

function looseRef(o: Partial<KubeObject>): ObjectRef {
  const meta = isPlainObject(o.metadata) ? o.metadata : {};
  return {
    apiVersion: String(o.apiVersion ?? ''),
    kind: String(o.kind ?? ''),
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    name: typeof meta.name === 'string' ? meta.name : '',
  };
}

function validate(o: Partial<KubeObject>, i: number): string | undefined {
  if (!isPlainObject(o)) return `object #${i + 1} is not a mapping`;
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) return `object #${i + 1} has no apiVersion`;
  if (typeof o.kind !== 'string' || !o.kind) return `object #${i + 1} has no kind`;
  if (!isPlainObject(o.metadata) || typeof o.metadata.name !== 'string' || !o.metadata.name) {
    return `object #${i + 1} (${o.kind}) has no metadata.name; generateName is not supported (it would duplicate on every apply)`;
  }
  return undefined;
}

/** CRDs in the bundle tell the scope of their kinds before the cluster knows them. */
function withBundleCrds(objects: KubeObject[], scopeOf: ScopeOf): ScopeOf {
  const fromCrds = new Map<string, boolean>();
  for (const o of objects) {
    if (o?.kind !== 'CustomResourceDefinition' || !isPlainObject(o.spec)) continue;
    const spec = o.spec as {
      group?: string;
      scope?: string;
      names?: { kind?: string };
      versions?: { name?: string }[];
    };
    for (const v of spec.versions ?? []) {
      fromCrds.set(`${spec.group}/${v.name}/${spec.names?.kind}`, spec.scope !== 'Cluster');
    }
  }
  return (apiVersion, kind) => scopeOf(apiVersion, kind) ?? fromCrds.get(`${apiVersion}/${kind}`);
}

/**
 * fleet.yaml `namespace: x` puts every object in x, and refuses cluster-scoped ones (Fleet fails the
 * deployment; here the object fails, the rest applies). Namespace x itself is the one exception.
 */
function outsideHome(o: KubeObject, namespaced: boolean | undefined, home: string): string | undefined {
  if (namespaced !== false || (o.apiVersion === 'v1' && o.kind === 'Namespace' && o.metadata.name === home)) {
    return undefined;
  }
  return (
    `${o.kind} ${o.metadata.name} is cluster-scoped, and fleet.yaml's namespace: ${home} puts every object ` +
    `of the bundle in that namespace, as Fleet does; use defaultNamespace instead to deploy cluster-scoped objects`
  );
}

function normalize(
  raw: KubeObject,
  namespaced: boolean | undefined,
  defaultNs: string,
  label: string,
  home?: string,
): KubeObject {
  // dropNulls copies every object and array: the caller's objects are never changed.
  const o = dropNulls(raw) as KubeObject;
  delete o.status;
  for (const f of SERVER_OWNED_META) delete o.metadata[f];
  if (namespaced === true) o.metadata.namespace = home ?? (o.metadata.namespace || defaultNs);
  if (namespaced === false) delete o.metadata.namespace;
  o.metadata.labels = { ...o.metadata.labels, [DEPLOYMENT_LABEL]: label };
  if (o.kind === 'Secret' && o.apiVersion === 'v1' && isPlainObject(o.stringData)) {
    // The apiserver moves stringData into data; applying data directly keeps managedFields comparable.
    const data = { ...(o.data as Record<string, string> | undefined) };
    for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    o.data = data;
    delete o.stringData;
  }
  return o;
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
  return out;
}
