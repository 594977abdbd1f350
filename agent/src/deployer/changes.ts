import type { FlotillaError } from '@flotilla/proto';
import type { ObjectChangeName } from '@flotilla/proto/api';
import type { KubeObject, ObjectRef } from '../objects.js';
import type { Action } from './plan.js';

/**
 * What happened to one object in a reconcile (fluxcd's change set, plus failures): the API's
 * vocabulary (OBJECT_CHANGES) but `unknown`, which is the hub's word for a sender that did not say.
 */
export type Change = Exclude<ObjectChangeName, 'unknown'>;

export interface ObjectResult {
  ref: ObjectRef;
  key: string;
  change: Change;
  /** The plan's reason (or what happened instead). */
  reason: string;
  action: Action;
  stage: 0 | 1;
  /** The object as the apiserver returned it, when known (for health and the inventory). */
  object?: KubeObject | null;
  error?: FlotillaError;
  /** Fields taken back from imperative writers, when an apply forced them. */
  forced?: string[];
}
