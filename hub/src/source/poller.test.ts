import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Poller } from './poller.js';

describe('Poller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at once, then every interval ± jitter', async () => {
    const run = vi.fn(async () => {});
    const p = new Poller({ intervalMs: 1000, jitter: 0.2, random: () => 1, run });
    expect(p.nextDelay()).toBe(1200);
    p.start();
    await p.idle;
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1199);
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(2);
    await p.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('spreads delays across the jitter range', () => {
    const lo = new Poller({ intervalMs: 60_000, jitter: 0.2, random: () => 0, run: async () => {} });
    const mid = new Poller({ intervalMs: 60_000, jitter: 0.2, random: () => 0.5, run: async () => {} });
    expect([lo.nextDelay(), mid.nextDelay()]).toEqual([48_000, 60_000]);
  });

  it('coalesces triggers during a run into one more run, and never overlaps', async () => {
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => {};
    const run = vi.fn(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    });
    const p = new Poller({ intervalMs: 1000, run });
    p.start();
    p.trigger();
    p.trigger();
    p.trigger();
    release();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await p.idle;
    expect(run).toHaveBeenCalledTimes(2);
    expect(maxActive).toBe(1);
    await p.stop();
  });

  it('keeps polling after a failed run', async () => {
    const run = vi.fn(async () => {
      throw new Error('remote down');
    });
    const p = new Poller({ intervalMs: 100, jitter: 0, run });
    p.start();
    await vi.advanceTimersByTimeAsync(350);
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(4);
    await p.stop();
  });
});
