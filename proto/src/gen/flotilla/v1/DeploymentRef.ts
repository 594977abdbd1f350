// Original file: flotilla/v1/agent.proto

import type { BundleOptions as _flotilla_v1_BundleOptions, BundleOptions__Output as _flotilla_v1_BundleOptions__Output } from '../../flotilla/v1/BundleOptions.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One deployment on the agent's cluster and the bundle it must run.
 */
export interface DeploymentRef {
  /**
   * The deployment: "<environment>/<target>", stable across bundles (the agent names its in-cluster
   * inventory after it).
   */
  'deployment'?: (string);
  /**
   * The bundle: sha256 of its canonical form, lowercase hex.
   */
  'digest'?: (string);
  'generation'?: (number | string | Long);
  'sizeBytes'?: (number | string | Long);
  'options'?: (_flotilla_v1_BundleOptions | null);
  /**
   * The Git commit the bundle was rendered from.
   */
  'revision'?: (string);
  /**
   * Raised by the hub each time someone asks for this deployment to be applied again now (`fleet
   * deployments retry`). An agent that sees it move applies the bundle at once, skipping the backoff
   * of a failed apply; it is part of the desired state, so an agent that was away sees it on reconnect.
   */
  'retryRequests'?: (number | string | Long);
}

/**
 * One deployment on the agent's cluster and the bundle it must run.
 */
export interface DeploymentRef__Output {
  /**
   * The deployment: "<environment>/<target>", stable across bundles (the agent names its in-cluster
   * inventory after it).
   */
  'deployment': (string);
  /**
   * The bundle: sha256 of its canonical form, lowercase hex.
   */
  'digest': (string);
  'generation': (string);
  'sizeBytes': (string);
  'options': (_flotilla_v1_BundleOptions__Output | null);
  /**
   * The Git commit the bundle was rendered from.
   */
  'revision': (string);
  /**
   * Raised by the hub each time someone asks for this deployment to be applied again now (`fleet
   * deployments retry`). An agent that sees it move applies the bundle at once, skipping the backoff
   * of a failed apply; it is part of the desired state, so an agent that was away sees it on reconnect.
   */
  'retryRequests': (string);
}
