export { Engine, type EngineOptions } from './engine.js';
export { Reconciler, type ReconcileSummary } from './reconciler.js';
export { syncRepo, type RepoSyncResult } from './repo-sync.js';
export { Sources } from './sources.js';
