// Original file: flotilla/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'sentAtUnixMs'?: (number | string | Long);
  'appliedGeneration'?: (number | string | Long);
}

export interface Heartbeat__Output {
  'sentAtUnixMs': (string);
  'appliedGeneration': (string);
}
