// Original file: flotilla/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface FetchBundleRequest {
  'digest'?: (string);
  /**
   * Resume a partial download from this byte offset.
   */
  'offset'?: (number | string | Long);
}

export interface FetchBundleRequest__Output {
  'digest': (string);
  /**
   * Resume a partial download from this byte offset.
   */
  'offset': (string);
}
