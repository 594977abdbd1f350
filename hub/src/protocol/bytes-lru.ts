/**
 * Byte buffers by key within a budget of bytes, least recently used out first. For content that
 * never goes stale under its key (bundles by digest): there is no expiry, only the budget. A value
 * larger than `maxEntryBytes` is not kept.
 */
export class BytesLru<V extends { length: number }> {
  private readonly entries = new Map<string, V>();
  private bytes = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly maxEntryBytes = budgetBytes,
  ) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: V): void {
    if (value.length > this.maxEntryBytes) return;
    const had = this.entries.get(key);
    if (had !== undefined) {
      this.entries.delete(key);
      this.bytes -= had.length;
    }
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }
}
