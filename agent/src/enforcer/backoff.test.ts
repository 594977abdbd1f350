import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { realSleep, systemClock } from '../util/time.js';
import { APPLY_RETRY, RetrySchedule } from './backoff.js';

/** Fake timers drive realSleep (setTimeout) and the clock (Date.now) alike. */
function schedule(random = () => 1) {
  const runs: { id: string; at: number }[] = [];
  const s = new RetrySchedule({
    clock: systemClock,
    sleep: realSleep,
    random,
    run: (id) => runs.push({ id, at: Date.now() }),
  });
  return { s, runs };
}

describe('RetrySchedule: failed applies retried with backoff', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('doubles from 2 s to a cap of 5 min for failures in a row, and says when the next runs', async () => {
    const { s, runs } = schedule();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = Date.now();
      const info = s.failed('dev/web', 'ConfigMap/shop/web: namespaces "shop" not found');
      expect(info).toMatchObject({ attempt: i + 1, reason: 'ConfigMap/shop/web: namespaces "shop" not found' });
      expect(s.info('dev/web')).toBe(info);
      delays.push(info.at - before);
      await vi.advanceTimersByTimeAsync(info.at - before - 1);
      expect(runs).toHaveLength(i);
      await vi.advanceTimersByTimeAsync(1);
      expect(runs).toHaveLength(i + 1);
      expect(runs[i]).toEqual({ id: 'dev/web', at: info.at });
      expect(s.info('dev/web')).toBeUndefined();
    }
    expect(delays).toEqual([2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]);
    expect(APPLY_RETRY).toEqual({ baseMs: 2000, maxMs: 300_000 });
  });

  it('jitters each delay between half and all of it', () => {
    const low = schedule(() => 0).s.failed('a', 'x');
    expect(low.at - Date.now()).toBe(1000);
    const { s } = schedule(() => 0.5);
    s.failed('a', 'x');
    expect(s.failed('a', 'x').at - Date.now()).toBe(3000);
  });

  it('a success starts the backoff over and cancels the retry; bundles are independent', async () => {
    const { s, runs } = schedule();
    s.failed('dev/web', 'x');
    s.failed('dev/web', 'x');
    s.failed('dev/db', 'y');
    s.reset('dev/web');
    expect(s.info('dev/web')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs.map((r) => r.id)).toEqual(['dev/db']);
    expect(s.failed('dev/web', 'x')).toMatchObject({ attempt: 1, at: Date.now() + 2000 });
  });

  it('a new failure replaces the retry scheduled before it: one run, at the later time', async () => {
    const { s, runs } = schedule();
    s.failed('dev/web', 'first');
    await vi.advanceTimersByTimeAsync(1000);
    const second = s.failed('dev/web', 'second');
    expect(second).toMatchObject({ attempt: 2, reason: 'second', at: Date.now() + 4000 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toEqual([{ id: 'dev/web', at: second.at }]);
  });

  it('runs nothing once stopped', async () => {
    const { s, runs } = schedule();
    s.failed('dev/web', 'x');
    s.failed('dev/db', 'x');
    s.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(runs).toEqual([]);
    expect(s.info('dev/web')).toBeUndefined();
  });
});
