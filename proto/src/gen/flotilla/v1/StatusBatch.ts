// Original file: flotilla/v1/agent.proto

import type { BundleStatus as _flotilla_v1_BundleStatus, BundleStatus__Output as _flotilla_v1_BundleStatus__Output } from '../../flotilla/v1/BundleStatus.js';

export interface StatusBatch {
  'statuses'?: (_flotilla_v1_BundleStatus)[];
}

export interface StatusBatch__Output {
  'statuses': (_flotilla_v1_BundleStatus__Output)[];
}
