// The hub's side of the hub <-> agent protocol, on either transport.
export { AgentProtocol, BundleAccessError, BundleMissingError, type AgentProtocolOptions } from './agent-protocol.js';
export { desiredFor, type DesiredSet } from './desired.js';
export { startGrpcServer, type GrpcHub, type GrpcServerOptions } from './grpc-server.js';
export { frame, MessageReader } from './h2/frames.js';
export { H2GrpcServer, type Method as H2Method } from './h2/server.js';
export { MAX_REQUEST_BYTES, REGISTER_MAX_BYTES, RequestTooLargeError } from './request-limits.js';
export { startNatsServer, type NatsHub, type NatsServerOptions, type NatsAgentAuthority } from './nats-server.js';
export { BundleObjects, openJetStream } from './nats-bundles.js';
export {
  AgentAuthError,
  authenticate,
  hashSecret,
  mintRegistrationToken,
  register,
  type MintOptions,
  type RegisterInput,
} from './registration.js';
export { NatsAuthority, NatsIdentityError, type NatsIdentity } from './nats-auth.js';
