// Original file: flotilla/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface BundleChunk {
  'digest'?: (string);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'totalSize'?: (number | string | Long);
  'last'?: (boolean);
}

export interface BundleChunk__Output {
  'digest': (string);
  'offset': (string);
  'data': (Buffer);
  'totalSize': (string);
  'last': (boolean);
}
