// The agent's public surface: the apply engine (plan, staged apply, inventory, prune, health, drift),
// the thin Kubernetes client it runs on, and the enforcer that keeps bundles applied.
export * from './objects.js';
export * from './errors.js';
export { loadKubeconfig, inClusterAccess, type ClusterAccess } from './kube/config.js';
export { Transport, type CallStats, type TransportOptions, type Verb } from './kube/transport.js';
export { DEFAULT_RETRY, type RetryPolicy } from './kube/retry.js';
export { Discovery, resourcePath, type ResourceInfo } from './kube/discovery.js';
export {
  KubeClient,
  FIELD_MANAGER,
  type ApplyOptions,
  type ApplyResult,
  type ListResult,
  type WatchEvent,
} from './kube/client.js';
export * from './deployer/bundle.js';
export { prepare, stageOf, type DesiredObject, type InvalidObject, type ScopeOf } from './deployer/prepare.js';
export {
  plan,
  planObject,
  summarize,
  ACTIONS,
  type Action,
  type PlannedChange,
  type PlanInput,
} from './deployer/plan.js';
export type { Change, ObjectResult } from './deployer/changes.js';
export { applyStaged, applyPlanned, type ApplyDeps } from './deployer/apply.js';
export {
  InventoryStore,
  inventoryName,
  encodeEntries,
  decodeEntries,
  emptyInventory,
  INVENTORY_LABEL,
  DEFAULT_AGENT_NAMESPACE,
  type Inventory,
  type InventoryEntry,
} from './deployer/inventory.js';
export { prune } from './deployer/prune.js';
export { healthOf, type CustomHealth, type Health, type HealthResult } from './deployer/health.js';
export { customHealth, celProblem, CEL_LIMITS, type HealthCheck } from './deployer/health-cel.js';
export { driftOf, toWireDrift, type DriftRecord, type FieldDrift } from './deployer/drift.js';
export { ownedFieldsDiff, ownedDigest, ownerOf, type FieldDiff } from './deployer/fields.js';
export { semanticEqual, parseQuantity } from './deployer/semantic.js';
export { isIgnored, selects } from './deployer/ignore.js';
export { foldReport, toWireStatus, objectState, type DeploymentReport, type ObjectReport } from './deployer/report.js';
export { reconcile, type ReconcileDeps, type ReconcileResult } from './deployer/reconcile.js';
export { diffBundle, type ObjectDiff } from './deployer/diff.js';
export { jsonDiff, type ValueChange } from './deployer/jsondiff.js';
export { waitReady, type WaitOptions } from './deployer/wait.js';
export { Enforcer, type EnforcerOptions } from './enforcer/enforcer.js';
export { BundleCache } from './enforcer/cache.js';
export { ObjectWatcher, type ObjectEvent, type WatcherHooks } from './enforcer/watcher.js';
export { KeyedQueue } from './enforcer/queue.js';
export { HubConnection, type HubConnectionOptions } from './connection/hub-connection.js';
export { AgentSession, type AgentSessionOptions, type BundleSink, type HubLink } from './connection/agent-session.js';
export {
  AppliedStateFile,
  decodeAppliedState,
  encodeAppliedState,
  type AppliedState,
} from './connection/applied-state.js';
export { NatsHubConnection, HubRefusedError, type NatsConnectionOptions } from './connection/nats-connection.js';
export { decodeBundle, BundleIntegrityError } from './connection/bundle-bytes.js';
export {
  AgentTls,
  HubTlsError,
  parseAgentTlsFlags,
  type AgentTlsConfig,
  type AgentTlsFlags,
  type ChannelSecurity,
} from './connection/tls.js';
