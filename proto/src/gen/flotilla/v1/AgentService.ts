// Original file: flotilla/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _flotilla_v1_AgentMessage, AgentMessage__Output as _flotilla_v1_AgentMessage__Output } from '../../flotilla/v1/AgentMessage.js';
import type { BundleChunk as _flotilla_v1_BundleChunk, BundleChunk__Output as _flotilla_v1_BundleChunk__Output } from '../../flotilla/v1/BundleChunk.js';
import type { FetchBundleRequest as _flotilla_v1_FetchBundleRequest, FetchBundleRequest__Output as _flotilla_v1_FetchBundleRequest__Output } from '../../flotilla/v1/FetchBundleRequest.js';
import type { HubMessage as _flotilla_v1_HubMessage, HubMessage__Output as _flotilla_v1_HubMessage__Output } from '../../flotilla/v1/HubMessage.js';

export interface AgentServiceClient extends grpc.Client {
  /**
   * One bidirectional stream per agent for its whole connection.
   */
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_flotilla_v1_AgentMessage, _flotilla_v1_HubMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_flotilla_v1_AgentMessage, _flotilla_v1_HubMessage__Output>;
  /**
   * One bidirectional stream per agent for its whole connection.
   */
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_flotilla_v1_AgentMessage, _flotilla_v1_HubMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_flotilla_v1_AgentMessage, _flotilla_v1_HubMessage__Output>;
  
  /**
   * Bundle bytes by digest, in chunks. An agent may fetch only bundles desired for its own cluster.
   */
  FetchBundle(argument: _flotilla_v1_FetchBundleRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_v1_BundleChunk__Output>;
  FetchBundle(argument: _flotilla_v1_FetchBundleRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_v1_BundleChunk__Output>;
  /**
   * Bundle bytes by digest, in chunks. An agent may fetch only bundles desired for its own cluster.
   */
  fetchBundle(argument: _flotilla_v1_FetchBundleRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_v1_BundleChunk__Output>;
  fetchBundle(argument: _flotilla_v1_FetchBundleRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_flotilla_v1_BundleChunk__Output>;
  
}

export interface AgentServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One bidirectional stream per agent for its whole connection.
   */
  Connect: grpc.handleBidiStreamingCall<_flotilla_v1_AgentMessage__Output, _flotilla_v1_HubMessage>;
  
  /**
   * Bundle bytes by digest, in chunks. An agent may fetch only bundles desired for its own cluster.
   */
  FetchBundle: grpc.handleServerStreamingCall<_flotilla_v1_FetchBundleRequest__Output, _flotilla_v1_BundleChunk>;
  
}

export interface AgentServiceDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_flotilla_v1_AgentMessage, _flotilla_v1_HubMessage, _flotilla_v1_AgentMessage__Output, _flotilla_v1_HubMessage__Output>
  FetchBundle: MethodDefinition<_flotilla_v1_FetchBundleRequest, _flotilla_v1_BundleChunk, _flotilla_v1_FetchBundleRequest__Output, _flotilla_v1_BundleChunk__Output>
}
