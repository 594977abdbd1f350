/**
 * Webhook deliveries seen recently, by their replay keys (sha256 hex, so an entry has a fixed size):
 * at most `max` of them (least recently seen out first) and none older than `ttlMs`. Only deliveries
 * whose signature was verified are recorded, so an attacker cannot fill it with guesses.
 */
export class SeenDeliveries {
  private readonly seenAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: { ttlMs: number; max: number; now?: () => number }) {
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
      this.seenAt.delete(k);
      this.seenAt.set(k, now);
    }
    for (const [k, at] of this.seenAt) {
      if (this.seenAt.size <= this.o.max && now - at < this.o.ttlMs) break;
      this.seenAt.delete(k);
    }
    return seen;
  }

  get size(): number {
    return this.seenAt.size;
  }
}
