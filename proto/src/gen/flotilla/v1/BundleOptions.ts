// Original file: flotilla/v1/agent.proto

import type { IgnoreRule as _flotilla_v1_IgnoreRule, IgnoreRule__Output as _flotilla_v1_IgnoreRule__Output } from '../../flotilla/v1/IgnoreRule.js';
import type { BundleNamespace as _flotilla_v1_BundleNamespace, BundleNamespace__Output as _flotilla_v1_BundleNamespace__Output } from '../../flotilla/v1/BundleNamespace.js';
import type { HealthCheck as _flotilla_v1_HealthCheck, HealthCheck__Output as _flotilla_v1_HealthCheck__Output } from '../../flotilla/v1/HealthCheck.js';

export interface BundleOptions {
  'defaultNamespace'?: (string);
  'selfHeal'?: (boolean);
  'prune'?: (boolean);
  'forceConflicts'?: (boolean);
  'ignore'?: (_flotilla_v1_IgnoreRule)[];
  /**
   * Other deployments ("<environment>/<target>") that must be Ready before this one is applied.
   */
  'dependsOn'?: (string)[];
  /**
   * The namespace fleet.yaml names for the bundle (`namespace`, else `defaultNamespace`): the agent
   * creates it before the bundle's other objects, as Fleet does. Absent: none is created.
   */
  'namespace'?: (_flotilla_v1_BundleNamespace | null);
  /**
   * Health rules from configuration (set per target through the hub's API): CEL expressions over the
   * object, as Flux's healthCheckExprs. The first rule whose group and kind match an object judges it
   * in place of the built-in rules.
   */
  'healthChecks'?: (_flotilla_v1_HealthCheck)[];
}

export interface BundleOptions__Output {
  'defaultNamespace': (string);
  'selfHeal': (boolean);
  'prune': (boolean);
  'forceConflicts': (boolean);
  'ignore': (_flotilla_v1_IgnoreRule__Output)[];
  /**
   * Other deployments ("<environment>/<target>") that must be Ready before this one is applied.
   */
  'dependsOn': (string)[];
  /**
   * The namespace fleet.yaml names for the bundle (`namespace`, else `defaultNamespace`): the agent
   * creates it before the bundle's other objects, as Fleet does. Absent: none is created.
   */
  'namespace': (_flotilla_v1_BundleNamespace__Output | null);
  /**
   * Health rules from configuration (set per target through the hub's API): CEL expressions over the
   * object, as Flux's healthCheckExprs. The first rule whose group and kind match an object judges it
   * in place of the built-in rules.
   */
  'healthChecks': (_flotilla_v1_HealthCheck__Output)[];
}
