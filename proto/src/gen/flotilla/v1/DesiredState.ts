// Original file: flotilla/v1/agent.proto

import type { BundleRef as _flotilla_v1_BundleRef, BundleRef__Output as _flotilla_v1_BundleRef__Output } from '../../flotilla/v1/BundleRef.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The complete desired state of one cluster. When `unchanged` is true the hub only confirms that
 * the generation the agent reported is current, and `bundles` is empty.
 */
export interface DesiredState {
  'generation'?: (number | string | Long);
  'bundles'?: (_flotilla_v1_BundleRef)[];
  'unchanged'?: (boolean);
  /**
   * Bundles removed with --orphan: the agent forgets them (drops their inventory) and leaves their
   * objects in the cluster. A bundle the agent holds that is in neither list is pruned.
   */
  'orphaned'?: (string)[];
}

/**
 * The complete desired state of one cluster. When `unchanged` is true the hub only confirms that
 * the generation the agent reported is current, and `bundles` is empty.
 */
export interface DesiredState__Output {
  'generation': (string);
  'bundles': (_flotilla_v1_BundleRef__Output)[];
  'unchanged': (boolean);
  /**
   * Bundles removed with --orphan: the agent forgets them (drops their inventory) and leaves their
   * objects in the cluster. A bundle the agent holds that is in neither list is pruned.
   */
  'orphaned': (string)[];
}
