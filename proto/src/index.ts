// @flotilla/proto: the hub <-> agent contract. The message types generated from
// flotilla/v1/agent.proto, the states and names they carry, and the errors they are refused with: no
// runtime dependency (types, constants and checks only), so a CLI can import it for nothing. What
// speaks the protocol (the gRPC loader, codecs, NATS subjects, the X.509 and nkey code, CEL) is
// @flotilla/proto/runtime; the HTTP API's types are @flotilla/proto/api.
export * from './messages.js';
export * from './states.js';
export * from './errors.js';
export * from './names.js';
/** Custom health rules: their shape and limits (evaluated with `celEnvironment`, in the runtime). */
export * from './health-checks.js';
