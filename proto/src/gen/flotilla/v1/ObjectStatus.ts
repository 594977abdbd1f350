// Original file: flotilla/v1/agent.proto

import type { ObjectRef as _flotilla_v1_ObjectRef, ObjectRef__Output as _flotilla_v1_ObjectRef__Output } from '../../flotilla/v1/ObjectRef.js';
import type { ObjectChange as _flotilla_v1_ObjectChange, ObjectChange__Output as _flotilla_v1_ObjectChange__Output } from '../../flotilla/v1/ObjectChange.js';
import type { ObjectHealth as _flotilla_v1_ObjectHealth, ObjectHealth__Output as _flotilla_v1_ObjectHealth__Output } from '../../flotilla/v1/ObjectHealth.js';

export interface ObjectStatus {
  'object'?: (_flotilla_v1_ObjectRef | null);
  'change'?: (_flotilla_v1_ObjectChange);
  'health'?: (_flotilla_v1_ObjectHealth);
  /**
   * The apiserver's own message for a failed apply, or why the object is not ready.
   */
  'message'?: (string);
}

export interface ObjectStatus__Output {
  'object': (_flotilla_v1_ObjectRef__Output | null);
  'change': (_flotilla_v1_ObjectChange__Output);
  'health': (_flotilla_v1_ObjectHealth__Output);
  /**
   * The apiserver's own message for a failed apply, or why the object is not ready.
   */
  'message': (string);
}
