// Original file: flotilla/v1/agent.proto

import type { BundleRef as _flotilla_v1_BundleRef, BundleRef__Output as _flotilla_v1_BundleRef__Output } from '../../flotilla/v1/BundleRef.js';
import type { Long } from '@grpc/proto-loader';

/**
 * First message on a stream: who the agent is and what it already holds.
 */
export interface Hello {
  'clusterId'?: (string);
  'agentVersion'?: (string);
  'kubernetesVersion'?: (string);
  /**
   * The bundles the agent holds, listed only when applied_generation is 0: a generation is a hash of
   * the whole desired set, so it names what the agent holds in 8 bytes.
   */
  'held'?: (_flotilla_v1_BundleRef)[];
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
   * The bundles the agent holds, listed only when applied_generation is 0: a generation is a hash of
   * the whole desired set, so it names what the agent holds in 8 bytes.
   */
  'held': (_flotilla_v1_BundleRef__Output)[];
  /**
   * Generation of the last desired state the agent fully applied (0 when none).
   */
  'appliedGeneration': (string);
}
