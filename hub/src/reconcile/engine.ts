import { join } from 'node:path';
import { RenderCache } from '../render/cache.js';
import type { RenderTools } from '../render/target.js';
import type { SecretBox } from '../secrets.js';
import { Poller } from '../source/poller.js';
import type { RepoCredentialPolicy } from '../source/repo-credentials.js';
import type { Store } from '../store/index.js';
import { Reconciler, type ReconcileSummary } from './reconciler.js';
import { checkRemote, syncRepo, type RepoSyncResult } from './repo-sync.js';
import type { PlaintextSecretPolicy } from '../render/secrets-policy.js';
import { hubPathScrubber } from './hub-paths.js';
import { collectMirrors } from './mirrors.js';
import { Sources } from './sources.js';
import { wantedTrees } from './tree-refs.js';
import { ExportedTrees, type CollectResult } from './trees.js';
import { WorkQueue, type Scope, type WorkKey } from './work-queue.js';

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
  /** How long a repo being added may take to answer before it is shown as not answering (default 10 s). */
  repoCheckTimeoutMs?: number;
  /** Called after each fetch and reconcile, for logs and metrics. */
  onSync?: (r: RepoSyncResult) => void;
  /** After each reconcile pass, with how long it took and what it covered. */
  onReconcile?: (s: ReconcileSummary, durationMs: number, scope: Scope) => void;
  /** After a collection of exported trees and mirrors that deleted or stopped something. */
  onTreesCollected?: (r: CollectResult & { mirrors: string[] }) => void;
  /** The git command that exports trees from the mirrors (default `git`). */
  git?: string;
  onError?: (err: unknown) => void;
}

/** How often exported trees are collected besides after fetches and configuration changes. */
const TREE_COLLECT_MS = 10 * 60_000;

/**
 * The hub's GitOps loop, driven by events: one poller per repo (webhooks trigger it at once); a fetch
 * that moved a branch enqueues the environments following it, and the API and registrations enqueue
 * what they changed (a cluster, a target, an environment). Passes over the queued keys never
 * overlap; keys queued during one coalesce into the next. What a pass writes reaches the agents
 * through the store (`store.desiredChanges`), which the transports listen to.
 */
export class Engine {
  readonly sources: Sources;
  private readonly reconciler: Reconciler;
  private readonly pollers = new Map<string, { interval: number; poller: Poller; stop: AbortController }>();
  private readonly queue: WorkQueue;
  /** Callers of reconcileNow waiting for the next pass over everything. */
  private waitingForAll: { resolve: (s: ReconcileSummary) => void; reject: (err: unknown) => void }[] = [];
  readonly trees: ExportedTrees;
  private readonly treeLoop: Poller;
  private readonly scrub: (text: string) => string;

  constructor(private readonly o: EngineOptions) {
    this.scrub = hubPathScrubber(o.dataDir);
    this.sources = new Sources(o.store, o.dataDir, o.secrets, o.repoCredentials);
    const { store } = o;
    this.trees = new ExportedTrees({
      dir: join(o.dataDir, 'trees'),
      source: (repo) => this.sources.get(repo),
      wanted: () =>
        wantedTrees(store.environments.list(), store.targets.list(), (r, b) => store.repos.getBranch(r, b)?.commit),
      ...(o.git ? { git: o.git } : {}),
    });
    // After every fetch and configuration change, and on a schedule: unneeded trees and the mirrors
    // of removed repos go, unneeded exports stop. Coalesced like the reconcile loop.
    this.treeLoop = new Poller({
      intervalMs: TREE_COLLECT_MS,
      jitter: 0.1,
      run: async () => {
        try {
          const r = await this.trees.collect();
          const mirrors = await collectMirrors(
            join(o.dataDir, 'repos'),
            new Set(store.repos.list().map((x) => x.name)),
          );
          if (r.deleted.length > 0 || r.cancelled.length > 0 || mirrors.length > 0) {
            o.onTreesCollected?.({ ...r, mirrors });
          }
        } catch (err) {
          o.onError?.(err);
        }
      },
    });
    this.reconciler = new Reconciler({
      store: o.store,
      trees: this.trees,
      cache: new RenderCache(),
      tools: { ...o.tools, chartCache: join(o.dataDir, 'charts') },
      ...(o.plaintextSecrets ? { plaintextSecrets: o.plaintextSecrets } : {}),
      scrub: this.scrub,
    });
    this.queue = new WorkQueue(
      async (scope) => {
        const started = performance.now();
        const waiting = scope.all ? this.waitingForAll.splice(0) : [];
        let summary: ReconcileSummary;
        try {
          // One notice per pass, after its last write: agents never see half of it.
          summary = await o.store.desiredChanges.held(() => this.reconciler.reconcile(scope));
        } catch (err) {
          for (const w of waiting) w.reject(err);
          throw err;
        }
        for (const w of waiting) w.resolve(summary);
        o.onReconcile?.(summary, performance.now() - started, scope);
        if (summary.pending > 0) this.fetchUnrecordedBranches();
        // Rendered for some clusters while failed for the pair: a pass over all of them says which.
        this.enqueue(...summary.recheck.map((r) => ({ kind: 'deployment' as const, ...r })));
      },
      (err) => o.onError?.(err),
    );
  }

  /**
   * Starts (or adjusts) one poller per repo in the store; stops pollers of repos that are gone, and
   * exports nothing needs any more (called on every configuration change).
   */
  refreshRepos(): void {
    this.treeLoop.trigger();
    const repos = this.o.store.repos.list();
    for (const [name, p] of this.pollers) {
      const repo = repos.find((r) => r.name === name);
      if (!repo || repo.pollIntervalSeconds * 1000 !== p.interval) {
        if (!repo) p.stop.abort(); // a fetch of a removed repo stops downloading
        void p.poller.stop();
        this.pollers.delete(name);
      }
    }
    for (const repo of repos) {
      if (this.pollers.has(repo.name)) continue;
      const interval = repo.pollIntervalSeconds * 1000;
      const stop = new AbortController();
      const poller = new Poller({
        intervalMs: interval,
        jitter: this.o.jitter ?? 0.2,
        run: async () => {
          await this.fetch(repo.name, stop.signal);
        },
      });
      this.pollers.set(repo.name, { interval, poller, stop });
      poller.start();
    }
  }

  start(): void {
    this.treeLoop.start();
    this.enqueue({ kind: 'all' });
    this.refreshRepos();
  }

  /** A webhook arrived: fetch this repo now (coalesced with a fetch in progress). */
  triggerRepo(name: string): boolean {
    const p = this.pollers.get(name);
    if (!p) return false;
    p.poller.trigger();
    return true;
  }

  /** Whether a repo's remote answers now, recorded on the repo (a repo being added): bounded in time. */
  async checkRepo(repo: string): Promise<void> {
    await checkRemote(this.o.store, this.sources, repo, this.o.repoCheckTimeoutMs ?? 10_000, this.scrub);
  }

  /**
   * Fetches a repo; the environments following a branch that moved (or appeared, or broke) are
   * decided again.
   */
  async fetch(repo: string, signal?: AbortSignal): Promise<RepoSyncResult> {
    const result = await syncRepo(this.o.store, this.sources, repo, this.scrub, signal);
    this.o.onSync?.(result);
    this.treeLoop.trigger();
    if (result.changed.length > 0) {
      const branches = new Set(result.changed.map((c) => c.branch));
      this.enqueue(
        ...this.o.store.environments
          .list()
          .filter((e) => e.repo === repo && branches.has(e.branch))
          .map((e) => ({ kind: 'environment' as const, environment: e.name })),
      );
    }
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

  /** Asks for these keys to be decided again (coalesced with whatever waits). */
  enqueue(...keys: WorkKey[]): void {
    this.queue.add(...keys);
  }

  /** Resolves when every key queued so far is decided. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Decides everything now (after the pass running) and returns that pass's summary. */
  reconcileNow(): Promise<ReconcileSummary> {
    const done = new Promise<ReconcileSummary>((resolve, reject) => this.waitingForAll.push({ resolve, reject }));
    this.enqueue({ kind: 'all' });
    return done;
  }

  async stop(): Promise<void> {
    this.trees.stop();
    for (const p of this.pollers.values()) p.stop.abort();
    await Promise.all([...this.pollers.values()].map((p) => p.poller.stop()));
    this.pollers.clear();
    await this.queue.stop();
    for (const w of this.waitingForAll.splice(0)) w.reject(new Error('the hub engine stopped'));
    await this.treeLoop.stop();
  }
}
