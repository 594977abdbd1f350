/**
 * The shape of fleet.yaml as data, walked by parseFleetYaml. Keep it in step with fleet-types.ts:
 * every field here has a property there, with the matching type.
 */
import type { ArgRuleName } from '../tools/args.js';

export type Spec =
  | { readonly type: 'string' | 'repoPath' | 'httpUrl' | 'boolean' | 'integer' | 'map' | 'stringMap' | 'any' }
  /** A string that reaches a tool's command line: it must follow the rule (tools/args.ts). */
  | { readonly type: 'arg'; readonly rule: ArgRuleName }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'list'; readonly of: Spec }
  | { readonly type: 'object'; readonly fields: Readonly<Record<string, Spec>> }
  | { readonly type: 'unsupported'; readonly reason: string }
  /** A boolean whose `true` Flotilla cannot honour: refused, rather than silently doing otherwise. */
  | { readonly type: 'falseOnly'; readonly reason: string };

const string: Spec = { type: 'string' };
/** A string naming a path inside the repository, relative to the target: no `..`, not absolute. */
const repoPath: Spec = { type: 'repoPath' };
const boolean: Spec = { type: 'boolean' };
/** An http(s) URL without credentials in it. */
const httpUrl: Spec = { type: 'httpUrl' };
const arg = (rule: ArgRuleName): Spec => ({ type: 'arg', rule });
const integer: Spec = { type: 'integer' };
/** A map whose contents are free-form (Helm values, rolloutStrategy). */
const map: Spec = { type: 'map' };
const stringMap: Spec = { type: 'stringMap' };
const any: Spec = { type: 'any' };
const list = (of: Spec): Spec => ({ type: 'list', of });
const object = (fields: Record<string, Spec>): Spec => ({ type: 'object', fields });

const labelSelector = object({
  matchLabels: stringMap,
  matchExpressions: list(
    object({
      key: string,
      operator: { type: 'enum', values: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
      values: list(string),
    }),
  ),
});

const helm = object({
  chart: repoPath,
  repo: httpUrl,
  releaseName: arg('releaseName'),
  version: arg('chartVersion'),
  timeoutSeconds: integer,
  values: map,
  valuesFiles: list(repoPath),
  valuesFrom: {
    type: 'unsupported',
    reason:
      'it reads ConfigMaps and Secrets in the downstream cluster at deploy time, and Flotilla renders on the hub; ' +
      'put the values in helm.values or helm.valuesFiles',
  },
  force: boolean,
  takeOwnership: boolean,
  maxHistory: integer,
  atomic: boolean,
  waitForJobs: boolean,
  disablePreProcess: boolean,
  disableDNS: boolean,
  skipSchemaValidation: boolean,
  disableDependencyUpdate: boolean,
});

const comparePatch = object({
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string,
  operations: list(object({ op: string, path: string, value: string })),
  jsonPointers: list(string),
});

/** Fleet's BundleDeploymentOptions. */
const deploymentOptions: Record<string, Spec> = {
  namespace: arg('namespace'),
  defaultNamespace: arg('namespace'),
  helm,
  kustomize: object({ dir: repoPath }),
  yaml: object({ overlays: list(repoPath) }),
  diff: object({ comparePatches: list(comparePatch) }),
  correctDrift: object({ enabled: boolean, force: boolean, keepFailHistory: boolean }),
  ignore: object({ conditions: list(stringMap) }),
  keepResources: boolean,
  deleteNamespace: boolean,
  deleteCRDResources: boolean,
  namespaceLabels: stringMap,
  namespaceAnnotations: stringMap,
  serviceAccount: {
    type: 'unsupported',
    reason:
      'the agent applies with its own service account (and its project policy), not one a commit names; ' + 'remove it',
  },
  forceSyncGeneration: integer,
};

const targetCriteria: Record<string, Spec> = {
  name: string,
  clusterName: string,
  clusterSelector: labelSelector,
  clusterGroup: string,
  clusterGroupSelector: labelSelector,
};

export const FLEET_YAML_SPEC: Spec = object({
  ...deploymentOptions,
  name: string,
  labels: stringMap,
  paused: {
    type: 'falseOnly',
    reason:
      'Flotilla holds a revision back per environment (its branch, `fleet promote`, rollout waves), ' +
      'not per bundle; remove it or set it to false',
  },
  rolloutStrategy: map,
  targetCustomizations: list(object({ ...deploymentOptions, ...targetCriteria, doNotDeploy: boolean })),
  dependsOn: list(object({ name: string, selector: labelSelector, acceptedStates: list(string) })),
  overrideTargets: {
    type: 'unsupported',
    reason:
      "which clusters a target reaches is set by its environments (fleet targets add -e), not by the repository's content; remove it",
  },
  imageScans: list(any),
});
