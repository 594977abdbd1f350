import type { HubInfo } from '@flotilla/proto/api';
import type { WorkKey } from '../../reconcile/work-queue.js';
import type { Sources } from '../../reconcile/sources.js';
import type { RepoSyncResult } from '../../reconcile/repo-sync.js';
import type { SecretBox } from '../../secrets.js';
import type { Store } from '../../store/index.js';
import { ApiError } from '../errors.js';
import type { HubMetrics } from '../metrics.js';
import type { Liveness } from '../../status/rollup.js';

/** What the API needs of the hub around it. */
export interface ApiDeps {
  store: Store;
  secrets: SecretBox;
  /** Starts a fetch of the repo now (webhooks); false when the repo has no poller yet. */
  trigger: (repo: string) => boolean;
  /** The GitOps engine: fetch a repo now, pick up repo changes, reconcile. Absent in API-only tests. */
  engine?: {
    readonly sources: Sources;
    fetch(repo: string): Promise<RepoSyncResult>;
    /** Whether a repo's remote answers now, recorded on the repo; bounded in time. */
    checkRepo?(repo: string): Promise<void>;
    /** The repo pollers follow the repos in the store. */
    refreshRepos(): void;
    /** Decide these again (a cluster, an environment, a target changed). */
    enqueue(...keys: WorkKey[]): void;
    /** Resolves once everything enqueued so far is decided. */
    idle(): Promise<void>;
  };
  /** The agents' transport (they hear of desired-state changes from the store, not from the API). */
  agents?: { connectedClusters(): string[]; disconnect?(cluster: string): void };
  hubInfo?: () => HubInfo;
  /** An agent silent this long is Stale (default 45 s: three 15 s heartbeats). */
  staleAfterMs?: number;
  metrics?: HubMetrics;
  now?: () => Date;
}

export const DEFAULT_STALE_AFTER_MS = 45_000;

/** The hub's view of its agents now, for cluster conditions: without a transport, no cluster is connected. */
export function livenessOf(deps: ApiDeps): () => Liveness {
  const now = deps.now ?? (() => new Date());
  const staleAfterMs = deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  return () => ({ now: now(), staleAfterMs, connected: new Set(deps.agents?.connectedClusters() ?? []) });
}

export function found<T>(value: T | undefined, what: string, hint: string): T {
  if (value === undefined) throw ApiError.notFound(`${what} does not exist`, hint);
  return value;
}
