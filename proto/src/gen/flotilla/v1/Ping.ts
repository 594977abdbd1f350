// Original file: flotilla/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Ping {
  'sentAtUnixMs'?: (number | string | Long);
}

export interface Ping__Output {
  'sentAtUnixMs': (string);
}
