import type { TargetHelmOptions } from '@flotilla/proto/api';
import type { CanonicalBundle } from '../bundle/index.js';
import type { Sandbox } from '../tools/sandbox.js';
import type { ClusterFacts } from './customize.js';
import type { NamespaceOptions } from './namespace-options.js';

// What planning a render takes and gives: shared by target.ts (the plan) and helm-plan.ts.

export interface RenderTools {
  helm: string;
  kustomize: string;
  /** Where helm and kustomize run: contained by default (tools/sandbox.ts). */
  sandbox: Sandbox;
  /** Remote charts fetched by the hub, by digest, under its data directory. */
  chartCache: string;
}

export interface RenderCluster extends ClusterFacts {
  /** Passed to `helm template --kube-version` when known. */
  kubernetesVersion?: string;
}

export interface RenderInput {
  /** The repository tree at one commit, checked out on disk. */
  root: string;
  /** The target's path in the repository. */
  path: string;
  /** The target's name: Helm's default release name. */
  target: string;
  cluster: RenderCluster;
  tools: RenderTools;
  /** Hosts (and, explicitly, private addresses) this repository's renders may fetch charts from. */
  allowedHosts?: readonly string[];
  /** The target's own Helm values and values files (its API options), over fleet.yaml's. */
  helm?: TargetHelmOptions;
}

export interface IgnoreRuleSpec {
  object: { apiVersion?: string; kind?: string; namespace?: string; name?: string };
  jsonPointers: string[];
}

/** What the agent needs besides the objects. */
export interface DeployOptions extends NamespaceOptions {
  /** Fleet's `namespace`: every namespaced object goes there. */
  namespace?: string;
  /** Fleet's `defaultNamespace`: for objects that name none. */
  defaultNamespace?: string;
  selfHeal: boolean;
  ignore: IgnoreRuleSpec[];
  dependsOn: string[];
}

export type RenderKind = 'yaml' | 'kustomize' | 'helm';

export interface RenderPlan {
  kind: RenderKind;
  customization?: string;
  /** doNotDeploy: this cluster gets nothing from the target. */
  skip: boolean;
  options: DeployOptions;
  /** Same key ⇒ same output: the render cache's key. */
  cacheKey: string;
  run: () => Promise<CanonicalBundle>;
}
