// The fleet CLI's library surface: the HTTP client, configuration, formatting and the exit codes.
// The commands themselves live in ./commands (one file per command; the path is the command id).
export { FleetClient, type ClientOptions, type DeploymentFilter, type EventFilter } from './client.js';
export {
  configPath,
  readSavedConfig,
  writeSavedConfig,
  resolveConnection,
  normalizeHubUrl,
  type SavedConfig,
  type Connection,
} from './config.js';
export * from './errors.js';
export { render, table, OUTPUT_FORMATS, type OutputFormat } from './format.js';
export { SseParser, type SseMessage } from './sse.js';
export { rolloutProgress, waitForRollout, type RolloutProgress } from './wait.js';
export {
  agentManifestObjects,
  renderAgentManifest,
  AgentManifestError,
  AGENT_IMAGE,
  AGENT_NAMESPACE,
  BOOTSTRAP_SECRET,
  IDENTITY_SECRET,
  type AgentManifestInput as AgentManifestOptions,
} from './agent-manifest.js';
