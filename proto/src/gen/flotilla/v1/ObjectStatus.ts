// Original file: flotilla/v1/agent.proto

import type { ObjectRef as _flotilla_v1_ObjectRef, ObjectRef__Output as _flotilla_v1_ObjectRef__Output } from '../../flotilla/v1/ObjectRef.js';
import type { ObjectChange as _flotilla_v1_ObjectChange, ObjectChange__Output as _flotilla_v1_ObjectChange__Output } from '../../flotilla/v1/ObjectChange.js';
import type { ObjectHealth as _flotilla_v1_ObjectHealth, ObjectHealth__Output as _flotilla_v1_ObjectHealth__Output } from '../../flotilla/v1/ObjectHealth.js';
import type { BundleState as _flotilla_v1_BundleState, BundleState__Output as _flotilla_v1_BundleState__Output } from '../../flotilla/v1/BundleState.js';

export interface ObjectStatus {
  'object'?: (_flotilla_v1_ObjectRef | null);
  'change'?: (_flotilla_v1_ObjectChange);
  'health'?: (_flotilla_v1_ObjectHealth);
  /**
   * The apiserver's own message for a failed apply, why the object is not ready, or its drift.
   */
  'message'?: (string);
  /**
   * The state this object pulls its deployment towards (ERR_APPLIED for a failed apply, MODIFIED for
   * drift not corrected, NOT_READY or PENDING by health); the deployment's state is the worst of them.
   */
  'state'?: (_flotilla_v1_BundleState);
}

export interface ObjectStatus__Output {
  'object': (_flotilla_v1_ObjectRef__Output | null);
  'change': (_flotilla_v1_ObjectChange__Output);
  'health': (_flotilla_v1_ObjectHealth__Output);
  /**
   * The apiserver's own message for a failed apply, why the object is not ready, or its drift.
   */
  'message': (string);
  /**
   * The state this object pulls its deployment towards (ERR_APPLIED for a failed apply, MODIFIED for
   * drift not corrected, NOT_READY or PENDING by health); the deployment's state is the worst of them.
   */
  'state': (_flotilla_v1_BundleState__Output);
}
