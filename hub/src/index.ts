// The hub: Git sources, rendering, bundles, targeting and its SQLite state.
export * as bundle from './bundle/index.js';
export * as render from './render/index.js';
export * as source from './source/index.js';
export * as store from './store/index.js';
export * as target from './target/index.js';
export * as tools from './tools/index.js';
export { SecretBox } from './secrets.js';
export { parseConfig, type HubConfig } from './config.js';
export { HUB_NODE_FLAGS } from './node-flags.js';
export { Engine } from './reconcile/index.js';
export * as status from './status/index.js';
export * as protocol from './protocol/index.js';
export * as tls from './tls/index.js';
export * as api from './api/index.js';
export * as gitops from './gitops/promotion.js';
