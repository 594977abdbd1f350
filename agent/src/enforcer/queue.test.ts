import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './queue.js';

describe('KeyedQueue', () => {
  it('collapses a burst for one key into one call with the latest value; keys run independently', async () => {
    const calls: string[] = [];
    const q = new KeyedQueue<number>(
      async (k, v) => void calls.push(`${k}=${v}`),
      10,
      (ms) => new Promise((r) => setTimeout(r, ms)),
    );
    q.push('a', 1);
    q.push('a', 2);
    q.push('b', 1);
    q.push('a', 3);
    await q.drain();
    expect(calls.sort()).toEqual(['a=3', 'b=1']);
  });

  it('never overlaps calls for one key, and runs again for a value pushed meanwhile', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: number[] = [];
    let q: KeyedQueue<number> | undefined = undefined;
    q = new KeyedQueue<number>(
      async (_k, v) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (v === 1) q?.push('a', 2);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(v);
        inFlight--;
      },
      1,
      (ms) => new Promise((r) => setTimeout(r, ms)),
    );
    q.push('a', 1);
    await q.drain();
    expect(seen).toEqual([1, 2]);
    expect(maxInFlight).toBe(1);
  });
});
