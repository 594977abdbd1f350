// The hub's side of the hub <-> agent protocol, on either transport.
export { AgentProtocol, BundleAccessError, BundleMissingError, type AgentProtocolOptions } from './agent-protocol.js';
export { desiredFor, bundleId, parseBundleId, type DesiredSet } from './desired.js';
export { startGrpcServer, type GrpcHub, type GrpcServerOptions } from './grpc-server.js';
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
