// The generated message types, re-exported under one roof. Input types are permissive (what a sender
// may write); the __Output types are what a receiver gets (defaults filled, enums as strings).
export type { AgentMessage, AgentMessage__Output } from './gen/flotilla/v1/AgentMessage.js';
export type { HubMessage, HubMessage__Output } from './gen/flotilla/v1/HubMessage.js';
export type { Hello, Hello__Output } from './gen/flotilla/v1/Hello.js';
export type { Welcome, Welcome__Output } from './gen/flotilla/v1/Welcome.js';
export type { Heartbeat, Heartbeat__Output } from './gen/flotilla/v1/Heartbeat.js';
export type { Ping, Ping__Output } from './gen/flotilla/v1/Ping.js';
export type { HubError, HubError__Output } from './gen/flotilla/v1/HubError.js';
export type { DesiredState, DesiredState__Output } from './gen/flotilla/v1/DesiredState.js';
export type { DeploymentRef, DeploymentRef__Output } from './gen/flotilla/v1/DeploymentRef.js';
export type { BundleOptions, BundleOptions__Output } from './gen/flotilla/v1/BundleOptions.js';
export type { IgnoreRule, IgnoreRule__Output } from './gen/flotilla/v1/IgnoreRule.js';
export type { ObjectSelector, ObjectSelector__Output } from './gen/flotilla/v1/ObjectSelector.js';
export type { ObjectRef, ObjectRef__Output } from './gen/flotilla/v1/ObjectRef.js';
export type { ObjectStatus, ObjectStatus__Output } from './gen/flotilla/v1/ObjectStatus.js';
export type { DeploymentStatus, DeploymentStatus__Output } from './gen/flotilla/v1/DeploymentStatus.js';
export type { DriftReport, DriftReport__Output } from './gen/flotilla/v1/DriftReport.js';
export type { FieldDrift, FieldDrift__Output } from './gen/flotilla/v1/FieldDrift.js';
export type { FetchBundleRequest, FetchBundleRequest__Output } from './gen/flotilla/v1/FetchBundleRequest.js';
export type { BundleChunk, BundleChunk__Output } from './gen/flotilla/v1/BundleChunk.js';
export type { RegisterRequest, RegisterRequest__Output } from './gen/flotilla/v1/RegisterRequest.js';
export type { RegisterResponse, RegisterResponse__Output } from './gen/flotilla/v1/RegisterResponse.js';
export type {
  RenewClientCertificateRequest,
  RenewClientCertificateRequest__Output,
} from './gen/flotilla/v1/RenewClientCertificateRequest.js';
export type {
  RenewClientCertificateResponse,
  RenewClientCertificateResponse__Output,
} from './gen/flotilla/v1/RenewClientCertificateResponse.js';
export type { AgentServiceHandlers, AgentServiceClient } from './gen/flotilla/v1/AgentService.js';
export type { RegistrationHandlers, RegistrationClient } from './gen/flotilla/v1/Registration.js';
export type { BundleState__Output } from './gen/flotilla/v1/BundleState.js';
