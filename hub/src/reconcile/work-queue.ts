/**
 * What a change asks the hub to decide again. A repo fetch that moved a branch enqueues the
 * environments following it, a cluster registered or relabelled enqueues that cluster, a target or
 * environment changed through the API enqueues it; `all` is the hub starting (and `reconcileNow`).
 */
export type WorkKey =
  | { kind: 'all' }
  | { kind: 'cluster'; cluster: string }
  | { kind: 'environment'; environment: string }
  | { kind: 'target'; target: string }
  | { kind: 'deployment'; environment: string; target: string };

/** A slot that may be in a scope: a placement or a stored deployment. */
interface Slot {
  cluster: string;
  environment: string;
  target: string;
}

/**
 * The deployments one pass decides: the union of the keys taken from the queue together. A slot is
 * in scope when any key covers it. Keys coalesce: the same cluster enqueued a thousand times while a
 * pass runs is decided once, in the next pass.
 */
export class Scope {
  private everything = false;
  private readonly clusters = new Set<string>();
  private readonly environments = new Set<string>();
  private readonly targets = new Set<string>();
  /** Per environment, the targets enqueued alone (a deployment key). */
  private readonly pairs = new Map<string, Set<string>>();

  static of(keys: Iterable<WorkKey>): Scope {
    const s = new Scope();
    for (const k of keys) s.add(k);
    return s;
  }

  add(k: WorkKey): void {
    switch (k.kind) {
      case 'all':
        this.everything = true;
        break;
      case 'cluster':
        this.clusters.add(k.cluster);
        break;
      case 'environment':
        this.environments.add(k.environment);
        break;
      case 'target':
        this.targets.add(k.target);
        break;
      case 'deployment': {
        const ts = this.pairs.get(k.environment) ?? new Set<string>();
        ts.add(k.target);
        this.pairs.set(k.environment, ts);
        break;
      }
    }
  }

  get all(): boolean {
    return this.everything;
  }

  covers(s: Slot): boolean {
    return this.everything || this.clusters.has(s.cluster) || this.coversPair(s.environment, s.target);
  }

  /**
   * Whether every cluster of (environment, target) is in scope: only then may a pass say what the
   * pair's render status is (a pass over one cluster saw one cluster's render).
   */
  coversPair(environment: string, target: string): boolean {
    return (
      this.everything ||
      this.environments.has(environment) ||
      this.targets.has(target) ||
      this.pairs.get(environment)?.has(target) === true
    );
  }

  /** Whether a target is in scope as a whole (its removal may finish in this pass). */
  coversTarget(target: string): boolean {
    return this.everything || this.targets.has(target);
  }

  /** For logs: what the pass decided. */
  describe(): { all: boolean; clusters: number; environments: number; targets: number; deployments: number } {
    let deployments = 0;
    for (const ts of this.pairs.values()) deployments += ts.size;
    return {
      all: this.everything,
      clusters: this.clusters.size,
      environments: this.environments.size,
      targets: this.targets.size,
      deployments,
    };
  }
}

/**
 * A keyed work queue, as controller-runtime's and Fleet's: keys are added at any time, a pass takes
 * every key waiting at its start (one scope), passes never overlap, and keys added during a pass
 * wait for the next one. The hub has one writer (SQLite) and renders share a cache, so one pass at a
 * time over a batch of keys is both the simplest and the fastest order.
 */
export class WorkQueue {
  private waiting: Scope | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (scope: Scope) => Promise<void>,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  add(...keys: WorkKey[]): void {
    if (this.stopped || keys.length === 0) return;
    this.waiting ??= new Scope();
    for (const k of keys) this.waiting.add(k);
    this.kick();
  }

  /** Resolves once no key waits and no pass runs (the keys added so far are decided). */
  idle(): Promise<void> {
    if (!this.running && !this.waiting) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more keys; resolves when the pass running now is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting = undefined;
    await this.running;
    this.settle();
  }

  private kick(): void {
    if (this.running) return;
    // Not at once: keys enqueued by the same turn of the event loop (a burst of registrations, a
    // fetch moving several branches) join one pass.
    this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting && !this.stopped) {
        const scope = this.waiting;
        this.waiting = undefined;
        try {
          await this.run(scope);
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.running = undefined;
      this.settle();
    }
  }

  private settle(): void {
    if (this.running || this.waiting) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
