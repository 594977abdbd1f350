import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentMessage as _flotilla_v1_AgentMessage, AgentMessage__Output as _flotilla_v1_AgentMessage__Output } from './flotilla/v1/AgentMessage.js';
import type { AgentServiceClient as _flotilla_v1_AgentServiceClient, AgentServiceDefinition as _flotilla_v1_AgentServiceDefinition } from './flotilla/v1/AgentService.js';
import type { BundleChunk as _flotilla_v1_BundleChunk, BundleChunk__Output as _flotilla_v1_BundleChunk__Output } from './flotilla/v1/BundleChunk.js';
import type { BundleNamespace as _flotilla_v1_BundleNamespace, BundleNamespace__Output as _flotilla_v1_BundleNamespace__Output } from './flotilla/v1/BundleNamespace.js';
import type { BundleOptions as _flotilla_v1_BundleOptions, BundleOptions__Output as _flotilla_v1_BundleOptions__Output } from './flotilla/v1/BundleOptions.js';
import type { DeploymentRef as _flotilla_v1_DeploymentRef, DeploymentRef__Output as _flotilla_v1_DeploymentRef__Output } from './flotilla/v1/DeploymentRef.js';
import type { DeploymentStatus as _flotilla_v1_DeploymentStatus, DeploymentStatus__Output as _flotilla_v1_DeploymentStatus__Output } from './flotilla/v1/DeploymentStatus.js';
import type { DesiredState as _flotilla_v1_DesiredState, DesiredState__Output as _flotilla_v1_DesiredState__Output } from './flotilla/v1/DesiredState.js';
import type { DriftReport as _flotilla_v1_DriftReport, DriftReport__Output as _flotilla_v1_DriftReport__Output } from './flotilla/v1/DriftReport.js';
import type { FetchBundleRequest as _flotilla_v1_FetchBundleRequest, FetchBundleRequest__Output as _flotilla_v1_FetchBundleRequest__Output } from './flotilla/v1/FetchBundleRequest.js';
import type { FieldDrift as _flotilla_v1_FieldDrift, FieldDrift__Output as _flotilla_v1_FieldDrift__Output } from './flotilla/v1/FieldDrift.js';
import type { HealthCheck as _flotilla_v1_HealthCheck, HealthCheck__Output as _flotilla_v1_HealthCheck__Output } from './flotilla/v1/HealthCheck.js';
import type { Heartbeat as _flotilla_v1_Heartbeat, Heartbeat__Output as _flotilla_v1_Heartbeat__Output } from './flotilla/v1/Heartbeat.js';
import type { Hello as _flotilla_v1_Hello, Hello__Output as _flotilla_v1_Hello__Output } from './flotilla/v1/Hello.js';
import type { HubError as _flotilla_v1_HubError, HubError__Output as _flotilla_v1_HubError__Output } from './flotilla/v1/HubError.js';
import type { HubMessage as _flotilla_v1_HubMessage, HubMessage__Output as _flotilla_v1_HubMessage__Output } from './flotilla/v1/HubMessage.js';
import type { IgnoreRule as _flotilla_v1_IgnoreRule, IgnoreRule__Output as _flotilla_v1_IgnoreRule__Output } from './flotilla/v1/IgnoreRule.js';
import type { ObjectRef as _flotilla_v1_ObjectRef, ObjectRef__Output as _flotilla_v1_ObjectRef__Output } from './flotilla/v1/ObjectRef.js';
import type { ObjectSelector as _flotilla_v1_ObjectSelector, ObjectSelector__Output as _flotilla_v1_ObjectSelector__Output } from './flotilla/v1/ObjectSelector.js';
import type { ObjectStatus as _flotilla_v1_ObjectStatus, ObjectStatus__Output as _flotilla_v1_ObjectStatus__Output } from './flotilla/v1/ObjectStatus.js';
import type { Ping as _flotilla_v1_Ping, Ping__Output as _flotilla_v1_Ping__Output } from './flotilla/v1/Ping.js';
import type { RegisterRequest as _flotilla_v1_RegisterRequest, RegisterRequest__Output as _flotilla_v1_RegisterRequest__Output } from './flotilla/v1/RegisterRequest.js';
import type { RegisterResponse as _flotilla_v1_RegisterResponse, RegisterResponse__Output as _flotilla_v1_RegisterResponse__Output } from './flotilla/v1/RegisterResponse.js';
import type { RegistrationClient as _flotilla_v1_RegistrationClient, RegistrationDefinition as _flotilla_v1_RegistrationDefinition } from './flotilla/v1/Registration.js';
import type { RenewClientCertificateRequest as _flotilla_v1_RenewClientCertificateRequest, RenewClientCertificateRequest__Output as _flotilla_v1_RenewClientCertificateRequest__Output } from './flotilla/v1/RenewClientCertificateRequest.js';
import type { RenewClientCertificateResponse as _flotilla_v1_RenewClientCertificateResponse, RenewClientCertificateResponse__Output as _flotilla_v1_RenewClientCertificateResponse__Output } from './flotilla/v1/RenewClientCertificateResponse.js';
import type { StatusBatch as _flotilla_v1_StatusBatch, StatusBatch__Output as _flotilla_v1_StatusBatch__Output } from './flotilla/v1/StatusBatch.js';
import type { Welcome as _flotilla_v1_Welcome, Welcome__Output as _flotilla_v1_Welcome__Output } from './flotilla/v1/Welcome.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  flotilla: {
    v1: {
      AgentMessage: MessageTypeDefinition<_flotilla_v1_AgentMessage, _flotilla_v1_AgentMessage__Output>
      AgentService: SubtypeConstructor<typeof grpc.Client, _flotilla_v1_AgentServiceClient> & { service: _flotilla_v1_AgentServiceDefinition }
      BundleChunk: MessageTypeDefinition<_flotilla_v1_BundleChunk, _flotilla_v1_BundleChunk__Output>
      BundleNamespace: MessageTypeDefinition<_flotilla_v1_BundleNamespace, _flotilla_v1_BundleNamespace__Output>
      BundleOptions: MessageTypeDefinition<_flotilla_v1_BundleOptions, _flotilla_v1_BundleOptions__Output>
      BundleState: EnumTypeDefinition
      DeploymentRef: MessageTypeDefinition<_flotilla_v1_DeploymentRef, _flotilla_v1_DeploymentRef__Output>
      DeploymentStatus: MessageTypeDefinition<_flotilla_v1_DeploymentStatus, _flotilla_v1_DeploymentStatus__Output>
      DesiredState: MessageTypeDefinition<_flotilla_v1_DesiredState, _flotilla_v1_DesiredState__Output>
      DriftReport: MessageTypeDefinition<_flotilla_v1_DriftReport, _flotilla_v1_DriftReport__Output>
      FetchBundleRequest: MessageTypeDefinition<_flotilla_v1_FetchBundleRequest, _flotilla_v1_FetchBundleRequest__Output>
      FieldDrift: MessageTypeDefinition<_flotilla_v1_FieldDrift, _flotilla_v1_FieldDrift__Output>
      HealthCheck: MessageTypeDefinition<_flotilla_v1_HealthCheck, _flotilla_v1_HealthCheck__Output>
      Heartbeat: MessageTypeDefinition<_flotilla_v1_Heartbeat, _flotilla_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_flotilla_v1_Hello, _flotilla_v1_Hello__Output>
      HubError: MessageTypeDefinition<_flotilla_v1_HubError, _flotilla_v1_HubError__Output>
      HubMessage: MessageTypeDefinition<_flotilla_v1_HubMessage, _flotilla_v1_HubMessage__Output>
      IgnoreRule: MessageTypeDefinition<_flotilla_v1_IgnoreRule, _flotilla_v1_IgnoreRule__Output>
      ObjectChange: EnumTypeDefinition
      ObjectHealth: EnumTypeDefinition
      ObjectRef: MessageTypeDefinition<_flotilla_v1_ObjectRef, _flotilla_v1_ObjectRef__Output>
      ObjectSelector: MessageTypeDefinition<_flotilla_v1_ObjectSelector, _flotilla_v1_ObjectSelector__Output>
      ObjectStatus: MessageTypeDefinition<_flotilla_v1_ObjectStatus, _flotilla_v1_ObjectStatus__Output>
      Ping: MessageTypeDefinition<_flotilla_v1_Ping, _flotilla_v1_Ping__Output>
      RegisterRequest: MessageTypeDefinition<_flotilla_v1_RegisterRequest, _flotilla_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_flotilla_v1_RegisterResponse, _flotilla_v1_RegisterResponse__Output>
      /**
       * Registration trades a one-time, expiring token for a per-cluster credential.
       */
      Registration: SubtypeConstructor<typeof grpc.Client, _flotilla_v1_RegistrationClient> & { service: _flotilla_v1_RegistrationDefinition }
      RenewClientCertificateRequest: MessageTypeDefinition<_flotilla_v1_RenewClientCertificateRequest, _flotilla_v1_RenewClientCertificateRequest__Output>
      RenewClientCertificateResponse: MessageTypeDefinition<_flotilla_v1_RenewClientCertificateResponse, _flotilla_v1_RenewClientCertificateResponse__Output>
      StatusBatch: MessageTypeDefinition<_flotilla_v1_StatusBatch, _flotilla_v1_StatusBatch__Output>
      Welcome: MessageTypeDefinition<_flotilla_v1_Welcome, _flotilla_v1_Welcome__Output>
    }
  }
}

