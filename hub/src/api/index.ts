export { buildServer, type ServerDeps, type ApiDeps } from './server.js';
export { bootstrapAdminToken, mintApiToken, API_TOKEN_PREFIX, BOOTSTRAP_TOKEN_FILE } from './auth.js';
export { HubMetrics, type MetricsOptions } from './metrics.js';
export { ApiError } from './errors.js';
