// Original file: flotilla/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RegisterRequest as _flotilla_v1_RegisterRequest, RegisterRequest__Output as _flotilla_v1_RegisterRequest__Output } from '../../flotilla/v1/RegisterRequest.js';
import type { RegisterResponse as _flotilla_v1_RegisterResponse, RegisterResponse__Output as _flotilla_v1_RegisterResponse__Output } from '../../flotilla/v1/RegisterResponse.js';
import type { RenewClientCertificateRequest as _flotilla_v1_RenewClientCertificateRequest, RenewClientCertificateRequest__Output as _flotilla_v1_RenewClientCertificateRequest__Output } from '../../flotilla/v1/RenewClientCertificateRequest.js';
import type { RenewClientCertificateResponse as _flotilla_v1_RenewClientCertificateResponse, RenewClientCertificateResponse__Output as _flotilla_v1_RenewClientCertificateResponse__Output } from '../../flotilla/v1/RenewClientCertificateResponse.js';

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
  
  /**
   * A new client certificate for a new key, before the current one expires. Authenticated by the
   * cluster's credential and, when the hub requires mutual TLS, by the current client certificate.
   */
  RenewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  RenewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A new client certificate for a new key, before the current one expires. Authenticated by the
   * cluster's credential and, when the hub requires mutual TLS, by the current client certificate.
   */
  renewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  renewClientCertificate(argument: _flotilla_v1_RenewClientCertificateRequest, callback: grpc.requestCallback<_flotilla_v1_RenewClientCertificateResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Registration trades a one-time, expiring token for a per-cluster credential.
 */
export interface RegistrationHandlers extends grpc.UntypedServiceImplementation {
  Register: grpc.handleUnaryCall<_flotilla_v1_RegisterRequest__Output, _flotilla_v1_RegisterResponse>;
  
  /**
   * A new client certificate for a new key, before the current one expires. Authenticated by the
   * cluster's credential and, when the hub requires mutual TLS, by the current client certificate.
   */
  RenewClientCertificate: grpc.handleUnaryCall<_flotilla_v1_RenewClientCertificateRequest__Output, _flotilla_v1_RenewClientCertificateResponse>;
  
}

export interface RegistrationDefinition extends grpc.ServiceDefinition {
  Register: MethodDefinition<_flotilla_v1_RegisterRequest, _flotilla_v1_RegisterResponse, _flotilla_v1_RegisterRequest__Output, _flotilla_v1_RegisterResponse__Output>
  RenewClientCertificate: MethodDefinition<_flotilla_v1_RenewClientCertificateRequest, _flotilla_v1_RenewClientCertificateResponse, _flotilla_v1_RenewClientCertificateRequest__Output, _flotilla_v1_RenewClientCertificateResponse__Output>
}
