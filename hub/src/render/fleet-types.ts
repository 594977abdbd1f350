/*
 * The typed form of Rancher Fleet's `fleet.yaml`, field names exactly as Fleet documents them.
 * What Flotilla does with each field (supported, different, refused, parsed but not yet honoured),
 * and the test that shows it: docs/fleet-yaml.md. Refused fields (helm.valuesFrom, serviceAccount,
 * overrideTargets, paused: true) never reach these types.
 */

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface HelmOptions {
  chart?: string;
  repo?: string;
  releaseName?: string;
  version?: string;
  timeoutSeconds?: number;
  /** Free-form Helm values. */
  values?: Record<string, unknown>;
  valuesFiles?: string[];
  force?: boolean;
  takeOwnership?: boolean;
  maxHistory?: number;
  atomic?: boolean;
  waitForJobs?: boolean;
  disablePreProcess?: boolean;
  disableDNS?: boolean;
  skipSchemaValidation?: boolean;
  disableDependencyUpdate?: boolean;
}

export interface ComparePatch {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  operations?: { op?: string; path?: string; value?: string }[];
  jsonPointers?: string[];
}

/** Fleet's BundleDeploymentOptions: valid at the top of fleet.yaml and in each targetCustomization. */
export interface DeploymentOptions {
  namespace?: string;
  defaultNamespace?: string;
  helm?: HelmOptions;
  kustomize?: { dir?: string };
  yaml?: { overlays?: string[] };
  diff?: { comparePatches?: ComparePatch[] };
  correctDrift?: { enabled?: boolean; force?: boolean; keepFailHistory?: boolean };
  ignore?: { conditions?: Record<string, string>[] };
  keepResources?: boolean;
  deleteNamespace?: boolean;
  deleteCRDResources?: boolean;
  namespaceLabels?: Record<string, string>;
  namespaceAnnotations?: Record<string, string>;
  serviceAccount?: string;
  forceSyncGeneration?: number;
}

/** The criteria shared by targetCustomizations and overrideTargets. */
export interface TargetCriteria {
  name?: string;
  clusterName?: string;
  clusterSelector?: LabelSelector;
  clusterGroup?: string;
  clusterGroupSelector?: LabelSelector;
}

export interface TargetCustomization extends DeploymentOptions, TargetCriteria {
  doNotDeploy?: boolean;
}

export interface DependsOn {
  name?: string;
  selector?: LabelSelector;
  acceptedStates?: string[];
}

export interface FleetYaml extends DeploymentOptions {
  name?: string;
  labels?: Record<string, string>;
  paused?: boolean;
  /** Free-form: accepted, not interpreted. */
  rolloutStrategy?: Record<string, unknown>;
  targetCustomizations?: TargetCustomization[];
  dependsOn?: DependsOn[];
  overrideTargets?: TargetCriteria[];
  /** Deprecated in Fleet; accepted, not interpreted. */
  imageScans?: unknown[];
}
