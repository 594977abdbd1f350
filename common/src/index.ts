/**
 * What the hub, the agent and the CLI share besides the wire contract (proto/): one definition of each
 * rule they all apply. No runtime dependency but `yaml`, so the CLI can load it without gRPC.
 */
export * from './address.js';
export * from './deployment.js';
export * from './duration.js';
export * from './errors.js';
export * from './events.js';
export * from './help.js';
export * from './manifests.js';
export * from './objects.js';
export * from './version.js';
export * from './yaml.js';
