// Original file: flotilla/v1/agent.proto

import type { BundleState as _flotilla_v1_BundleState, BundleState__Output as _flotilla_v1_BundleState__Output } from '../../flotilla/v1/BundleState.js';
import type { ObjectStatus as _flotilla_v1_ObjectStatus, ObjectStatus__Output as _flotilla_v1_ObjectStatus__Output } from '../../flotilla/v1/ObjectStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface BundleStatus {
  'bundleId'?: (string);
  'digest'?: (string);
  'generation'?: (number | string | Long);
  'state'?: (_flotilla_v1_BundleState);
  'message'?: (string);
  'objects'?: (_flotilla_v1_ObjectStatus)[];
  'observedAtUnixMs'?: (number | string | Long);
}

export interface BundleStatus__Output {
  'bundleId': (string);
  'digest': (string);
  'generation': (string);
  'state': (_flotilla_v1_BundleState__Output);
  'message': (string);
  'objects': (_flotilla_v1_ObjectStatus__Output)[];
  'observedAtUnixMs': (string);
}
