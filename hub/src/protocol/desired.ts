import { createHash } from 'node:crypto';
import type { BundleOptions, BundleRef } from '@flotilla/proto';
import type { JsonObject, Store } from '../store/index.js';

export interface DesiredSet {
  /** A digest of the whole desired set as a uint64 (decimal): equal sets, equal generations. */
  generation: string;
  bundles: BundleRef[];
}

/** `environment/target`: the stable name of a deployment slot on the wire. */
export const bundleId = (environment: string, target: string) => `${environment}/${target}`;

export function parseBundleId(id: string): { environment: string; target: string } | undefined {
  const i = id.indexOf('/');
  return i <= 0 ? undefined : { environment: id.slice(0, i), target: id.slice(i + 1) };
}

function toWireOptions(o: JsonObject): BundleOptions {
  const ignore = Array.isArray(o.ignore)
    ? (o.ignore as { object?: Record<string, string>; jsonPointers?: string[] }[])
    : [];
  return {
    defaultNamespace:
      typeof o.namespace === 'string' ? o.namespace : typeof o.defaultNamespace === 'string' ? o.defaultNamespace : '',
    selfHeal: o.selfHeal !== false,
    prune: o.prune !== false,
    forceConflicts: o.forceConflicts === true,
    ignore: ignore.map((r) => ({ object: r.object ?? {}, jsonPointers: r.jsonPointers ?? [] })),
    dependsOn: Array.isArray(o.dependsOn) ? (o.dependsOn as string[]) : [],
  };
}

/**
 * What one cluster must run, as the hub announces it. The generation is a hash, not a counter: an
 * agent that reports the generation it applied is answered "unchanged" in a few bytes.
 */
export function desiredFor(store: Store, cluster: string): DesiredSet {
  const bundles: BundleRef[] = store.deployments.list({ cluster }).map((d) => ({
    bundleId: bundleId(d.environment, d.target),
    digest: d.bundle,
    generation: d.generation,
    sizeBytes: store.bundles.get(d.bundle)?.size ?? 0,
    revision: d.revision ?? '',
    options: toWireOptions(d.options),
  }));
  const h = createHash('sha256').update(JSON.stringify(bundles)).digest();
  return {
    generation: h.readBigUInt64BE(0).toString(),
    bundles,
  };
}
