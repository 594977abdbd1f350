import { LRUCache } from 'lru-cache';
import type { CanonicalBundle } from '../bundle/index.js';

export interface RenderCacheOptions {
  /** Least recently used entries go first beyond this many. */
  maxEntries?: number;
  /**
   * How long a failed render is answered from the cache. Without it, a target that fails slowly
   * (a chart expanding to the output cap, a tool timing out) ran again for every cluster of every
   * reconcile, holding up every other target; with it, a failure costs one render per key per TTL,
   * and a transient one (a chart repository down) is retried once the TTL has passed.
   */
  failureTtlMs?: number;
  now?: () => number;
}

interface Entry {
  render: Promise<CanonicalBundle>;
  failedAt?: number;
}

/**
 * Renders keyed by `RenderPlan.cacheKey`: an unchanged commit is never rendered twice, and
 * concurrent requests for one key share one render. Failures are kept for `failureTtlMs`.
 * Least recently used entries go first once `maxEntries` is reached (lru-cache).
 */
export class RenderCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly failureTtlMs: number;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(o: RenderCacheOptions | number = {}) {
    const opts = typeof o === 'number' ? { maxEntries: o } : o;
    this.entries = new LRUCache<string, Entry>({ max: opts.maxEntries ?? 2000 });
    this.failureTtlMs = opts.failureTtlMs ?? 120_000;
    this.now = opts.now ?? Date.now;
  }

  get(key: string, render: () => Promise<CanonicalBundle>): Promise<CanonicalBundle> {
    const hit = this.entries.get(key);
    if (hit && (hit.failedAt === undefined || this.now() - hit.failedAt < this.failureTtlMs)) {
      this.hits++;
      return hit.render;
    }
    this.misses++;
    const entry: Entry = { render: render() };
    this.entries.set(key, entry);
    entry.render.catch(() => {
      entry.failedAt = this.now();
    });
    return entry.render;
  }

  get size(): number {
    return this.entries.size;
  }
}
