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
  /** After each reconcile, with how long it took. */
  onReconcile?: (s: ReconcileSummary, durationMs: number) => void;
  /** After a collection of exported trees and mirrors that deleted or stopped something. */
  onTreesCollected?: (r: CollectResult & { mirrors: string[] }) => void;
  /** The git command that exports trees from the mirrors (default `git`). */
  git?: string;
  onError?: (err: unknown) => void;
}

/** How often exported trees are collected besides after fetches and configuration changes. */
const TREE_COLLECT_MS = 10 * 60_000;

/**
 * The hub's GitOps loop: one poller per repo (webhooks trigger it at once), each fetch followed by
 * a reconcile of the desired state. Reconciles never overlap; requests during one coalesce.
 */
export class Engine {
  readonly sources: Sources;
  private readonly reconciler: Reconciler;
  private readonly pollers = new Map<string, { interval: number; poller: Poller; stop: AbortController }>();
  private readonly reconcileLoop: Poller;
  private lastSummary: Promise<ReconcileSummary> | undefined;
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

  /** Whether a repo's remote answers now, recorded on the repo (a repo being added): bounded in time. */
  async checkRepo(repo: string): Promise<void> {
    await checkRemote(this.o.store, this.sources, repo, this.o.repoCheckTimeoutMs ?? 10_000, this.scrub);
  }

  /** Fetches a repo and reconciles when a followed branch moved or a branch problem appeared. */
  async fetch(repo: string, signal?: AbortSignal): Promise<RepoSyncResult> {
    const result = await syncRepo(this.o.store, this.sources, repo, this.scrub, signal);
    this.o.onSync?.(result);
    this.treeLoop.trigger();
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
    this.trees.stop();
    for (const p of this.pollers.values()) p.stop.abort();
    await Promise.all([...this.pollers.values()].map((p) => p.poller.stop()));
    this.pollers.clear();
    await this.reconcileLoop.stop();
    await this.treeLoop.stop();
  }
}
