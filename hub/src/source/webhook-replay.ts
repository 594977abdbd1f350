import { LRUCache } from 'lru-cache';

/**
 * Webhook deliveries seen recently, by their replay keys (sha256 hex, so an entry has a fixed size):
 * at most `max` of them (least recently seen out first, by lru-cache) and none older than `ttlMs`.
 * Only deliveries whose signature was verified are recorded, so an attacker cannot fill it with guesses.
 */
export class SeenDeliveries {
  /** When each key was last seen. The age is kept here, not in lru-cache's TTL, so `now` can be injected. */
  private readonly seenAt: LRUCache<string, number>;
  private readonly now: () => number;

  constructor(private readonly o: { ttlMs: number; max: number; now?: () => number }) {
    this.seenAt = new LRUCache<string, number>({ max: o.max });
    this.now = o.now ?? Date.now;
  }

  /** True when one of `keys` of this repo was seen within the TTL; records them all either way. */
  check(repo: string, keys: readonly string[]): boolean {
    const now = this.now();
    let seen = false;
    for (const key of keys) {
      const k = `${repo}\0${key}`;
      const at = this.seenAt.get(k);
      if (at !== undefined && now - at < this.o.ttlMs) seen = true;
      this.seenAt.set(k, now);
    }
    // The least recently seen are the oldest: drop the expired ones from that end.
    const expired: string[] = [];
    for (const k of this.seenAt.rkeys()) {
      const at = this.seenAt.peek(k);
      if (at !== undefined && now - at < this.o.ttlMs) break;
      expired.push(k);
    }
    for (const k of expired) this.seenAt.delete(k);
    return seen;
  }

  get size(): number {
    return this.seenAt.size;
  }
}
