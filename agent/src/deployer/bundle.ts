import type { BundleOptions__Output } from '@flotilla/proto';
import type { KubeObject } from '../objects.js';
import type { HealthCheck } from './health-cel.js';

/**
 * Labels and annotations Flotilla puts on, or reads from, the objects it applies. The label naming
 * an object's deployment keeps the key agents of 0.1 wrote on live objects (`flotilla.dev/bundle`):
 * renaming it would orphan every object applied before the upgrade from its drift watch.
 */
export const DEPLOYMENT_LABEL = 'flotilla.dev/bundle';
/** `flotilla.dev/prune: disabled` on a live object keeps it when it leaves the bundle. */
export const PRUNE_ANNOTATION = 'flotilla.dev/prune';
export const PRUNE_DISABLED = 'disabled';

/** Silences known noise in drift detection for matching objects (see the proto's IgnoreRule). */
export interface IgnoreRule {
  /** Empty fields match anything; `name` may end in `*`. */
  object: { apiVersion?: string; kind?: string; namespace?: string; name?: string };
  jsonPointers: string[];
  managers: string[];
}

export interface BundleOptions {
  /** Namespace for namespaced objects that name none. */
  defaultNamespace: string;
  /** Correct drift (on by default); off: report it only. */
  selfHeal: boolean;
  /** Delete what left the bundle (only what the inventory holds). */
  prune: boolean;
  /** Take fields another declarative applier owns. */
  forceConflicts: boolean;
  ignore: IgnoreRule[];
  /** Health rules from configuration (CEL), for kinds the built-in rules do not judge as wanted. */
  healthChecks?: HealthCheck[];
  /** The namespace the bundle deploys to, created before its other objects (fleet.yaml `namespace`). */
  namespace?: BundleNamespace;
}

/** Fleet's target namespace: created by the agent when missing, labelled, kept unless `deleteWithDeployment`. */
export interface BundleNamespace {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Deleted when the deployment is removed (fleet.yaml deleteNamespace), if the agent created it. */
  deleteWithDeployment: boolean;
  /** fleet.yaml `namespace`: every namespaced object goes there, and cluster-scoped ones are refused. */
  enforce: boolean;
}

/** A rendered bundle: its objects and how to apply them, for one deployment. */
export interface Bundle {
  /** The deployment it is for, `<environment>/<target>` (@flotilla/common's deploymentId). */
  deployment: string;
  /** sha256 of the canonical form, when the hub sent one. */
  digest?: string;
  revision?: string;
  objects: KubeObject[];
  options: BundleOptions;
}

export function defaultOptions(): BundleOptions {
  return { defaultNamespace: 'default', selfHeal: true, prune: true, forceConflicts: false, ignore: [] };
}

/** Options as sent on the wire: proto3 booleans are explicit there, so they are taken as they come. */
export function optionsFromWire(o: BundleOptions__Output): BundleOptions {
  return {
    defaultNamespace: o.defaultNamespace || 'default',
    selfHeal: o.selfHeal,
    prune: o.prune,
    forceConflicts: o.forceConflicts,
    ignore: o.ignore.map((r) => ({
      object: {
        apiVersion: r.object?.apiVersion ?? '',
        kind: r.object?.kind ?? '',
        namespace: r.object?.namespace ?? '',
        name: r.object?.name ?? '',
      },
      jsonPointers: r.jsonPointers,
      managers: r.managers,
    })),
    ...(o.healthChecks?.length
      ? {
          healthChecks: o.healthChecks.map(({ apiVersion, kind, current, inProgress, failed }) => ({
            apiVersion,
            kind,
            current,
            inProgress,
            failed,
          })),
        }
      : {}),
    ...(o.namespace?.name
      ? {
          namespace: {
            name: o.namespace.name,
            labels: { ...o.namespace.labels },
            annotations: { ...o.namespace.annotations },
            deleteWithDeployment: o.namespace.deleteWithDeployment,
            enforce: o.namespace.enforce,
          },
        }
      : {}),
  };
}

/** A label value naming a deployment: `<environment>/<target>` made label-safe, at most 63 characters. */
export function deploymentLabelValue(deployment: string): string {
  const slug = deployment
    .replace(/[^A-Za-z0-9._-]+/g, '.')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 63)
    .replace(/[^A-Za-z0-9]+$/, '');
  return slug || 'bundle';
}
