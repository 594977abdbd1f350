import { join } from 'node:path';
import { RenderCache } from '../render/cache.js';
import type { RenderTools } from '../render/target.js';
import type { SecretBox } from '../secrets.js';
import { Poller } from '../source/poller.js';
import type { RepoCredentialPolicy } from '../source/repo-credentials.js';
import type { Store } from '../store/index.js';
import { Reconciler, type ReconcileSummary } from './reconciler.js';
import { syncRepo, type RepoSyncResult } from './repo-sync.js';
import type { PlaintextSecretPolicy } from '../render/secrets-policy.js';
import { hubPathScrubber } from './hub-paths.js';
import { Sources } from './sources.js';

export interface EngineOptions {
  store: Store;
  dataDir: string;
  secrets: SecretBox;
  tools: Omit<RenderTools, 'chartCache'>;
  /** Secrets with values in Git: warn (default), refuse or allow. */
  plaintextSecrets?: PlaintextSecretPolicy;
  /** Where repo credentials may come from (default: <dataDir>/repo-secrets and FLOTILLA_REPO_*). */
  repoCredentials?: RepoCredentialPolicy;
  /** Spread of poll intervals (default 0.2). */
  jitter?: number;
  /** Called after each fetch and reconcile, for logs and metrics. */
  onSync?: (r: RepoSyncResult) => void;
  /** After each reconcile, with how long it took. */
  onReconcile?: (s: ReconcileSummary, durationMs: number) => void;
  onError?: (err: unknown) => void;
}

/**
 * The hub's GitOps loop: one poller per repo (webhooks trigger it at once), each fetch followed by
 * a reconcile of the desired state. Reconciles never overlap; requests during one coalesce.
 */
export class Engine {
  readonly sources: Sources;
  private readonly reconciler: Reconciler;
  private readonly pollers = new Map<string, { interval: number; poller: Poller }>();
  private readonly reconcileLoop: Poller;
  private lastSummary: Promise<ReconcileSummary> | undefined;
  private readonly scrub: (text: string) => string;

  constructor(private readonly o: EngineOptions) {
    this.scrub = hubPathScrubber(o.dataDir);
    this.sources = new Sources(o.store, o.dataDir, o.secrets, o.repoCredentials);
    this.reconciler = new Reconciler({
      store: o.store,
      sources: this.sources,
      cache: new RenderCache(),
      tools: { ...o.tools, chartCache: join(o.dataDir, 'charts') },
      ...(o.plaintextSecrets ? { plaintextSecrets: o.plaintextSecrets } : {}),
      scrub: this.scrub,
    });
    // Not a timer-driven loop: a Poller with an effectively infinite interval gives us coalescing.
    this.reconcileLoop = new Poller({
      intervalMs: 2 ** 31 - 1,
      jitter: 0,
      run: async () => {
        const started = performance.now();
        const p = this.reconciler.reconcile();
        this.lastSummary = p;
        try {
          const summary = await p;
          o.onReconcile?.(summary, performance.now() - started);
          if (summary.pending > 0) this.fetchUnrecordedBranches();
        } catch (err) {
          o.onError?.(err);
        }
      },
    });
  }

  /** Starts (or adjusts) one poller per repo in the store; stops pollers of repos that are gone. */
  refreshRepos(): void {
    const repos = this.o.store.repos.list();
    for (const [name, p] of this.pollers) {
      const repo = repos.find((r) => r.name === name);
      if (!repo || repo.pollIntervalSeconds * 1000 !== p.interval) {
        void p.poller.stop();
        this.pollers.delete(name);
      }
    }
    for (const repo of repos) {
      if (this.pollers.has(repo.name)) continue;
      const interval = repo.pollIntervalSeconds * 1000;
      const poller = new Poller({
        intervalMs: interval,
        jitter: this.o.jitter ?? 0.2,
        run: async () => {
          await this.fetch(repo.name);
        },
      });
      this.pollers.set(repo.name, { interval, poller });
      poller.start();
    }
  }

  start(): void {
    this.reconcileLoop.start();
    this.refreshRepos();
  }

  /** A webhook arrived: fetch this repo now (coalesced with a fetch in progress). */
  triggerRepo(name: string): boolean {
    const p = this.pollers.get(name);
    if (!p) return false;
    p.poller.trigger();
    return true;
  }

  /** Fetches a repo and reconciles when a followed branch moved or a branch problem appeared. */
  async fetch(repo: string): Promise<RepoSyncResult> {
    const result = await syncRepo(this.o.store, this.sources, repo, this.scrub);
    this.o.onSync?.(result);
    if (result.changed.length > 0) this.requestReconcile();
    return result;
  }

  /**
   * A fetch records only the branches environments follow at that moment: an environment added
   * after its repo's last fetch (the API adds the repo first) would wait a whole poll interval for
   * its first commit. Its repo is fetched now instead.
   */
  private fetchUnrecordedBranches(): void {
    const { store } = this.o;
    const repos = new Set(
      store.environments
        .list()
        .filter((e) => store.repos.getBranch(e.repo, e.branch) === undefined)
        .map((e) => e.repo),
    );
    for (const repo of repos) this.triggerRepo(repo);
  }

  requestReconcile(): void {
    this.reconcileLoop.trigger();
  }

  /** Runs a reconcile now (serialized with the loop) and returns its summary. */
  async reconcileNow(): Promise<ReconcileSummary> {
    this.reconcileLoop.trigger();
    await this.reconcileLoop.idle;
    if (!this.lastSummary) throw new Error('no reconcile ran');
    return this.lastSummary;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((p) => p.poller.stop()));
    this.pollers.clear();
    await this.reconcileLoop.stop();
  }
}
