import { LRUCache } from 'lru-cache';

/**
 * Byte buffers by key within a budget of bytes, least recently used out first (lru-cache, sized by
 * `length`). For content that never goes stale under its key (bundles by digest): there is no expiry,
 * only the budget. A value larger than `maxEntryBytes` is not kept.
 */
export class BytesLru<V extends { length: number }> {
  private readonly entries: LRUCache<string, V>;

  constructor(
    budgetBytes: number,
    private readonly maxEntryBytes = budgetBytes,
  ) {
    // lru-cache wants sizes of at least 1: an empty value counts as one byte.
    this.entries = new LRUCache<string, V>({
      maxSize: budgetBytes,
      maxEntrySize: maxEntryBytes,
      sizeCalculation: (v) => Math.max(1, v.length),
    });
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    // lru-cache would drop what the key holds; an oversized value leaves it as it was.
    if (value.length > this.maxEntryBytes) return;
    this.entries.set(key, value);
  }

  /** Bytes held. */
  get size(): number {
    return this.entries.calculatedSize;
  }
}
