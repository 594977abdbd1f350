// Original file: flotilla/v1/agent.proto

import type { IgnoreRule as _flotilla_v1_IgnoreRule, IgnoreRule__Output as _flotilla_v1_IgnoreRule__Output } from '../../flotilla/v1/IgnoreRule.js';

export interface BundleOptions {
  'defaultNamespace'?: (string);
  'selfHeal'?: (boolean);
  'prune'?: (boolean);
  'forceConflicts'?: (boolean);
  'ignore'?: (_flotilla_v1_IgnoreRule)[];
  /**
   * Other bundle ids that must be Ready before this one is applied.
   */
  'dependsOn'?: (string)[];
}

export interface BundleOptions__Output {
  'defaultNamespace': (string);
  'selfHeal': (boolean);
  'prune': (boolean);
  'forceConflicts': (boolean);
  'ignore': (_flotilla_v1_IgnoreRule__Output)[];
  /**
   * Other bundle ids that must be Ready before this one is applied.
   */
  'dependsOn': (string)[];
}
