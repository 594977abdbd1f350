// Original file: flotilla/v1/agent.proto

import type { ObjectSelector as _flotilla_v1_ObjectSelector, ObjectSelector__Output as _flotilla_v1_ObjectSelector__Output } from '../../flotilla/v1/ObjectSelector.js';

/**
 * Silences known noise in drift detection for matching objects.
 */
export interface IgnoreRule {
  'object'?: (_flotilla_v1_ObjectSelector | null);
  /**
   * RFC 6901 JSON pointers, e.g. "/spec/replicas".
   */
  'jsonPointers'?: (string)[];
  /**
   * Fields owned by these field managers are ignored (e.g. an HPA's replicas).
   */
  'managers'?: (string)[];
}

/**
 * Silences known noise in drift detection for matching objects.
 */
export interface IgnoreRule__Output {
  'object': (_flotilla_v1_ObjectSelector__Output | null);
  /**
   * RFC 6901 JSON pointers, e.g. "/spec/replicas".
   */
  'jsonPointers': (string)[];
  /**
   * Fields owned by these field managers are ignored (e.g. an HPA's replicas).
   */
  'managers': (string)[];
}
