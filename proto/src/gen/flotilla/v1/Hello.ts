// Original file: flotilla/v1/agent.proto

import type { DeploymentRef as _flotilla_v1_DeploymentRef, DeploymentRef__Output as _flotilla_v1_DeploymentRef__Output } from '../../flotilla/v1/DeploymentRef.js';
import type { Long } from '@grpc/proto-loader';

/**
 * First message on a stream: who the agent is and what it already holds.
 */
export interface Hello {
  'clusterId'?: (string);
  'agentVersion'?: (string);
  'kubernetesVersion'?: (string);
  /**
   * The deployments the agent holds, listed only when applied_generation is 0: a generation is a hash
   * of the whole desired set, so it names what the agent holds in 8 bytes.
   */
  'held'?: (_flotilla_v1_DeploymentRef)[];
  /**
   * Generation of the last desired state the agent fully applied (0 when none).
   */
  'appliedGeneration'?: (number | string | Long);
}

/**
 * First message on a stream: who the agent is and what it already holds.
 */
export interface Hello__Output {
  'clusterId': (string);
  'agentVersion': (string);
  'kubernetesVersion': (string);
  /**
   * The deployments the agent holds, listed only when applied_generation is 0: a generation is a hash
   * of the whole desired set, so it names what the agent holds in 8 bytes.
   */
  'held': (_flotilla_v1_DeploymentRef__Output)[];
  /**
   * Generation of the last desired state the agent fully applied (0 when none).
   */
  'appliedGeneration': (string);
}
