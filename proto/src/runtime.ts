// @flotilla/proto/runtime: what speaks the contract of @flotilla/proto, loaded at run time by the hub
// and the agent (grpc-js and proto-loader, cel-js, the ASN.1 libraries).
export * from './loader.js';
/** Custom health rules in CEL: the environment they run in and the parse check (hub and agent alike). */
export * from './cel.js';
export { agentMessageDeserializer, FAST_DECODED_FIELDS } from './fast-decode.js';
/** The same protocol over NATS JetStream: subjects, headers and protobuf codecs. */
export * from './nats.js';
/** X.509: the hub's CA, server and client certificates, signing requests. */
export * as pki from './pki/index.js';
export * from './nkey.js';
