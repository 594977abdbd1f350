import type { CanonicalBundle } from '../bundle/index.js';

/**
 * Renders keyed by `RenderPlan.cacheKey`: an unchanged commit is never rendered twice, and
 * concurrent requests for one key share one render. Failures are not cached. Least recently used
 * entries go first once `maxEntries` is reached.
 */
export class RenderCache {
  private readonly entries = new Map<string, Promise<CanonicalBundle>>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 2000) {}

  get(key: string, render: () => Promise<CanonicalBundle>): Promise<CanonicalBundle> {
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const p = render();
    this.entries.set(key, p);
    p.catch(() => this.entries.delete(key));
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return p;
  }

  get size(): number {
    return this.entries.size;
  }
}
