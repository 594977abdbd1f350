// Original file: flotilla/v1/agent.proto

import type { DeploymentRef as _flotilla_v1_DeploymentRef, DeploymentRef__Output as _flotilla_v1_DeploymentRef__Output } from '../../flotilla/v1/DeploymentRef.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The complete desired state of one cluster. When `unchanged` is true the hub only confirms that
 * the generation the agent reported is current, and `deployments` is empty.
 */
export interface DesiredState {
  'generation'?: (number | string | Long);
  'deployments'?: (_flotilla_v1_DeploymentRef)[];
  'unchanged'?: (boolean);
  /**
   * Deployments removed with --orphan: the agent forgets them (drops their inventory) and leaves
   * their objects in the cluster. A deployment the agent holds that is in neither list is pruned.
   */
  'orphaned'?: (string)[];
}

/**
 * The complete desired state of one cluster. When `unchanged` is true the hub only confirms that
 * the generation the agent reported is current, and `deployments` is empty.
 */
export interface DesiredState__Output {
  'generation': (string);
  'deployments': (_flotilla_v1_DeploymentRef__Output)[];
  'unchanged': (boolean);
  /**
   * Deployments removed with --orphan: the agent forgets them (drops their inventory) and leaves
   * their objects in the cluster. A deployment the agent holds that is in neither list is pruned.
   */
  'orphaned': (string)[];
}
