import type { Sleep } from '../util/time.js';

/**
 * A per-object queue keyed `bundle|group/kind/namespace/name`: bursts of events for one key collapse
 * into one call with the latest value, and calls for one key never overlap.
 */
export class KeyedQueue<T> {
  private readonly latest = new Map<string, T>();
  private readonly scheduled = new Set<string>();
  private readonly running = new Set<string>();
  private idle: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly handler: (key: string, value: T) => Promise<void>,
    private readonly debounceMs: number,
    private readonly sleep: Sleep,
  ) {}

  push(key: string, value: T): void {
    if (this.stopped) return;
    this.latest.set(key, value);
    if (this.scheduled.has(key) || this.running.has(key)) return;
    this.schedule(key);
  }

  private schedule(key: string): void {
    this.scheduled.add(key);
    const run = this.run(key);
    this.idle = Promise.all([this.idle, run]).then(() => undefined);
  }

  private async run(key: string): Promise<void> {
    await this.sleep(this.debounceMs);
    this.scheduled.delete(key);
    if (this.stopped || !this.latest.has(key)) return;
    const value = this.latest.get(key) as T;
    this.latest.delete(key);
    this.running.add(key);
    try {
      await this.handler(key, value);
    } finally {
      this.running.delete(key);
      if (this.latest.has(key) && !this.stopped) this.schedule(key);
    }
  }

  /** A newer value for the key waits: the one in hand is stale. */
  hasPending(key: string): boolean {
    return this.latest.has(key);
  }

  /** Resolves once everything pushed so far has been handled. */
  async drain(): Promise<void> {
    let before: Promise<void>;
    do {
      before = this.idle;
      await before;
    } while (before !== this.idle);
  }

  stop(): void {
    this.stopped = true;
    this.latest.clear();
  }
}
