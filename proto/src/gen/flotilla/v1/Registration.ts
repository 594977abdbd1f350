// Original file: flotilla/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RegisterRequest as _flotilla_v1_RegisterRequest, RegisterRequest__Output as _flotilla_v1_RegisterRequest__Output } from '../../flotilla/v1/RegisterRequest.js';
import type { RegisterResponse as _flotilla_v1_RegisterResponse, RegisterResponse__Output as _flotilla_v1_RegisterResponse__Output } from '../../flotilla/v1/RegisterResponse.js';

/**
 * Registration trades a one-time, expiring token for a per-cluster credential.
 */
export interface RegistrationClient extends grpc.Client {
  Register(argument: _flotilla_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _flotilla_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _flotilla_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _flotilla_v1_RegisterRequest, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _flotilla_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _flotilla_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _flotilla_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _flotilla_v1_RegisterRequest, callback: grpc.requestCallback<_flotilla_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Registration trades a one-time, expiring token for a per-cluster credential.
 */
export interface RegistrationHandlers extends grpc.UntypedServiceImplementation {
  Register: grpc.handleUnaryCall<_flotilla_v1_RegisterRequest__Output, _flotilla_v1_RegisterResponse>;
  
}

export interface RegistrationDefinition extends grpc.ServiceDefinition {
  Register: MethodDefinition<_flotilla_v1_RegisterRequest, _flotilla_v1_RegisterResponse, _flotilla_v1_RegisterRequest__Output, _flotilla_v1_RegisterResponse__Output>
}
