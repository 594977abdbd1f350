/**
 * The shape of fleet.yaml as a JSON Schema (TypeBox), validated by ajv in fleet-yaml.ts; the types
 * in fleet-types.ts are derived from it (`Static`), so the two cannot drift apart.
 *
 * Every object is closed (`additionalProperties: false`: an unknown field is an error with a "did
 * you mean") and every field optional (a field set to null counts as absent). Flotilla's own
 * keywords, checked by the ajv keywords in fleet-yaml.ts:
 * - `repoPath`: a path inside the repository, relative to the target: no `..`, not absolute;
 * - `argRule`: a string that reaches a tool's command line follows that rule (tools/args.ts);
 * - `httpUrl`: an http(s) URL without credentials in it;
 * - `unsupported`: a field Flotilla refuses, with the reason;
 * - `falseOnly`: a boolean whose `true` Flotilla cannot honour: refused, rather than silently doing otherwise;
 * - `freeForm`: a map whose contents are not Flotilla's (Helm values, rolloutStrategy): kept as
 *   written, nulls included.
 */
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import type { ArgRuleName } from '../tools/args.js';

/** An object of the given fields, all optional, no others. */
const object = <T extends TProperties>(fields: T) => Type.Partial(Type.Object(fields, { additionalProperties: false }));
const string = () => Type.String();
const repoPath = () => Type.String({ repoPath: true });
const httpUrl = () => Type.String({ httpUrl: true });
const arg = (rule: ArgRuleName) => Type.String({ argRule: rule });
const boolean = () => Type.Boolean();
const integer = () => Type.Integer();
const list = <T extends TSchema>(of: T) => Type.Array(of);
const stringMap = () => Type.Record(Type.String(), Type.String());
/** Free-form: Helm values, rolloutStrategy. */
const map = () => Type.Record(Type.String(), Type.Unknown(), { freeForm: true });
/** Refused with `reason`; as a type, only ever absent. */
const unsupported = (reason: string) => Type.Unsafe<never>({ unsupported: reason });
const oneOf = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ enum: values });

export const LabelSelectorRequirementSchema = Type.Object(
  {
    key: string(),
    operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: Type.Optional(list(string())),
  },
  { additionalProperties: false },
);

export const LabelSelectorSchema = object({
  matchLabels: stringMap(),
  matchExpressions: list(LabelSelectorRequirementSchema),
});

export const HelmOptionsSchema = object({
  chart: repoPath(),
  repo: httpUrl(),
  releaseName: arg('releaseName'),
  version: arg('chartVersion'),
  timeoutSeconds: integer(),
  values: map(),
  valuesFiles: list(repoPath()),
  valuesFrom: unsupported(
    'it reads ConfigMaps and Secrets in the downstream cluster at deploy time, and Flotilla renders on the hub; ' +
      'put the values in helm.values or helm.valuesFiles',
  ),
  force: boolean(),
  takeOwnership: boolean(),
  maxHistory: integer(),
  atomic: boolean(),
  waitForJobs: boolean(),
  disablePreProcess: boolean(),
  disableDNS: boolean(),
  skipSchemaValidation: boolean(),
  disableDependencyUpdate: boolean(),
});

export const ComparePatchSchema = object({
  apiVersion: string(),
  kind: string(),
  name: string(),
  namespace: string(),
  operations: list(object({ op: string(), path: string(), value: string() })),
  jsonPointers: list(string()),
});

/** Fleet's BundleDeploymentOptions: valid at the top of fleet.yaml and in each targetCustomization. */
const deploymentOptions = {
  namespace: arg('namespace'),
  defaultNamespace: arg('namespace'),
  helm: HelmOptionsSchema,
  kustomize: object({ dir: repoPath() }),
  yaml: object({ overlays: list(repoPath()) }),
  diff: object({ comparePatches: list(ComparePatchSchema) }),
  correctDrift: object({ enabled: boolean(), force: boolean(), keepFailHistory: boolean() }),
  ignore: object({ conditions: list(stringMap()) }),
  keepResources: boolean(),
  deleteNamespace: boolean(),
  deleteCRDResources: boolean(),
  namespaceLabels: stringMap(),
  namespaceAnnotations: stringMap(),
  serviceAccount: unsupported(
    'the agent applies with its own service account (and its project policy), not one a commit names; remove it',
  ),
  forceSyncGeneration: integer(),
};

/** The criteria of a targetCustomization. */
const targetCriteria = {
  name: string(),
  clusterName: string(),
  clusterSelector: LabelSelectorSchema,
  clusterGroup: string(),
  clusterGroupSelector: LabelSelectorSchema,
};

export const DeploymentOptionsSchema = object(deploymentOptions);
export const TargetCriteriaSchema = object(targetCriteria);
export const TargetCustomizationSchema = object({ ...deploymentOptions, ...targetCriteria, doNotDeploy: boolean() });
export const DependsOnSchema = object({
  name: string(),
  selector: LabelSelectorSchema,
  acceptedStates: list(string()),
});

export const FleetYamlSchema = object({
  ...deploymentOptions,
  name: string(),
  labels: stringMap(),
  paused: Type.Boolean({
    falseOnly:
      'Flotilla holds a revision back per environment (its branch, `fleet promote`, rollout waves), ' +
      'not per bundle; remove it or set it to false',
  }),
  /** Free-form: accepted, not interpreted. */
  rolloutStrategy: map(),
  targetCustomizations: list(TargetCustomizationSchema),
  dependsOn: list(DependsOnSchema),
  overrideTargets: unsupported(
    "which clusters a target reaches is set by its environments (fleet targets add -e), not by the repository's content; remove it",
  ),
  /** Deprecated in Fleet; accepted, not interpreted. */
  imageScans: list(Type.Unknown()),
});
