import { describe, expect, it } from 'vitest';
import { canonicalize } from '../bundle/index.js';
import { RenderCache } from './cache.js';

const ok = () => Promise.resolve(canonicalize([]));

describe('RenderCache', () => {
  it('shares one render per key, and keeps a failure for its TTL, then renders again', async () => {
    let t = 0;
    const cache = new RenderCache({ failureTtlMs: 1000, now: () => t });
    let runs = 0;
    const failing = () => {
      runs++;
      return Promise.reject(new Error('helm chart apps/x: output exceeds 67108864 bytes'));
    };
    await expect(cache.get('k', failing)).rejects.toThrow('output exceeds');
    t = 999;
    await expect(cache.get('k', failing)).rejects.toThrow('output exceeds');
    expect(runs).toBe(1);
    t = 1000;
    await expect(cache.get('k', ok)).resolves.toMatchObject({ objects: [] });
    await cache.get('k', failing);
    expect({ runs, hits: cache.hits, misses: cache.misses }).toEqual({ runs: 1, hits: 2, misses: 2 });
  });

  it('drops the least recently used entry beyond maxEntries', async () => {
    const cache = new RenderCache({ maxEntries: 2 });
    await cache.get('a', ok);
    await cache.get('b', ok);
    await cache.get('a', ok);
    await cache.get('c', ok);
    let rendered = false;
    await cache.get('b', () => ((rendered = true), ok()));
    expect(rendered).toBe(true);
    expect(cache.size).toBe(2);
  });
});
