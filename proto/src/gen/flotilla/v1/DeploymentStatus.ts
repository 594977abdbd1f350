// Original file: flotilla/v1/agent.proto

import type { BundleState as _flotilla_v1_BundleState, BundleState__Output as _flotilla_v1_BundleState__Output } from '../../flotilla/v1/BundleState.js';
import type { ObjectStatus as _flotilla_v1_ObjectStatus, ObjectStatus__Output as _flotilla_v1_ObjectStatus__Output } from '../../flotilla/v1/ObjectStatus.js';
import type { Long } from '@grpc/proto-loader';

/**
 * What an agent last saw of one deployment: the bundle it runs (digest), for which generation, and
 * how that went.
 */
export interface DeploymentStatus {
  /**
   * "<environment>/<target>", as in DeploymentRef.
   */
  'deployment'?: (string);
  'digest'?: (string);
  'generation'?: (number | string | Long);
  'state'?: (_flotilla_v1_BundleState);
  'message'?: (string);
  /**
   * The objects that are not ready, worst first, at most 100: a routine report of a deployment whose
   * objects are all ready lists none, whatever its size. objects_total and objects_ready count them
   * all. A sender that leaves objects_total at 0 lists every object here, ready or not.
   */
  'objects'?: (_flotilla_v1_ObjectStatus)[];
  'observedAtUnixMs'?: (number | string | Long);
  'objectsTotal'?: (number);
  'objectsReady'?: (number);
  /**
   * A failed apply is retried with backoff: how many applies in a row failed, when the next runs
   * (0: none scheduled, the deployment is not failing), and the failure it retries (the first object
   * refused, with the apiserver's words).
   */
  'retryAttempt'?: (number);
  'retryAtUnixMs'?: (number | string | Long);
  'retryReason'?: (string);
}

/**
 * What an agent last saw of one deployment: the bundle it runs (digest), for which generation, and
 * how that went.
 */
export interface DeploymentStatus__Output {
  /**
   * "<environment>/<target>", as in DeploymentRef.
   */
  'deployment': (string);
  'digest': (string);
  'generation': (string);
  'state': (_flotilla_v1_BundleState__Output);
  'message': (string);
  /**
   * The objects that are not ready, worst first, at most 100: a routine report of a deployment whose
   * objects are all ready lists none, whatever its size. objects_total and objects_ready count them
   * all. A sender that leaves objects_total at 0 lists every object here, ready or not.
   */
  'objects': (_flotilla_v1_ObjectStatus__Output)[];
  'observedAtUnixMs': (string);
  'objectsTotal': (number);
  'objectsReady': (number);
  /**
   * A failed apply is retried with backoff: how many applies in a row failed, when the next runs
   * (0: none scheduled, the deployment is not failing), and the failure it retries (the first object
   * refused, with the apiserver's words).
   */
  'retryAttempt': (number);
  'retryAtUnixMs': (string);
  'retryReason': (string);
}
