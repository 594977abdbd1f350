import { describe, expect, it } from 'vitest';
import { DriftLimiter } from './drift-limiter.js';
import type { FittedDrift } from './report-limits.js';

let n = 0;
const drift = (object: string, corrected = false, deployment = 'prod/web'): FittedDrift => ({
  deployment,
  corrected,
  payload: { object, fields: [], manager: 'm', changedAt: 0, detectedAt: ++n },
  bytes: 100,
});

/** A limiter of `burst` reports and `perMinute`, on a clock the test moves. */
function limiter(burst: number, perMinute: number) {
  const clock = { ms: 0 };
  return { l: new DriftLimiter({ driftBurst: burst, driftPerMinute: perMinute }, () => clock.ms), clock };
}

describe('the drift rate limit', () => {
  it('lets a burst through, then coalesces per object: the latest is recorded when a token comes, with a count', () => {
    const { l, clock } = limiter(3, 60);
    const passed = ['a', 'b', 'c'].map((o) => l.offer('c1', drift(o)));
    expect(passed.every(Boolean)).toBe(true);
    // Over the burst: three reports of a (two detections, then a correction), one of d.
    expect(l.offer('c1', drift('a'))).toBeUndefined();
    expect(l.offer('c1', drift('a'))).toBeUndefined();
    expect(l.offer('c1', drift('d'))).toBeUndefined();
    const lastA = drift('a', true);
    expect(l.offer('c1', lastA)).toBeUndefined();
    expect(l.due()).toEqual([]);
    expect(l.nextDueMs()).toBe(1000);
    clock.ms += 1000;
    const first = l.due();
    expect(first).toEqual([
      { cluster: 'c1', report: { ...lastA, payload: { ...lastA.payload, suppressed: { reports: 2, detected: 2 } } } },
    ]);
    clock.ms += 1000;
    // d came once: nothing was coalesced into it, it is recorded as it came.
    expect(l.due().map((d) => [d.report.payload.object, d.report.payload.suppressed])).toEqual([['d', undefined]]);
    expect(l.nextDueMs()).toBeUndefined();
  });

  it('keeps clusters apart: one cluster’s flood does not spend another’s tokens', () => {
    const { l } = limiter(2, 60);
    for (let i = 0; i < 100; i++) l.offer('noisy', drift(`o${i % 3}`));
    expect(l.offer('quiet', drift('x'))).toBeDefined();
    expect(l.offer('quiet', drift('y'))).toBeDefined();
  });

  it('costs one recorded report per token, however long the flood', () => {
    const { l, clock } = limiter(10, 12); // a token every 5 s
    let recorded = 0;
    for (let s = 0; s < 600; s++) {
      // Ten reports a second of one object for ten minutes.
      for (let i = 0; i < 10; i++) if (l.offer('c1', drift('a'))) recorded++;
      recorded += l.due().length;
      clock.ms += 1000;
    }
    clock.ms += 60_000;
    const tail = l.due();
    recorded += tail.length;
    // The burst, then one per 5 s, and the last held report.
    expect(recorded).toBeGreaterThanOrEqual(10 + 120);
    expect(recorded).toBeLessThanOrEqual(10 + 121 + 1);
    const counted = tail.reduce((s, d) => s + 1 + (d.report.payload.suppressed?.reports ?? 0), 0);
    expect(counted).toBeGreaterThan(1);
  });

  it('holds the latest report of at most 64 objects per cluster; reports about more are counted on the next recorded one', () => {
    const { l, clock } = limiter(1, 60);
    l.offer('c1', drift('first'));
    for (let i = 0; i < 200; i++) l.offer('c1', drift(`o${i}`, i % 2 === 1));
    clock.ms += 1000;
    const [d] = l.due();
    expect(d?.report.payload.object).toBe('o0');
    // 136 reports about objects beyond the 64 held, 68 of them detections.
    expect(d?.report.payload.suppressed).toEqual({ reports: 136, detected: 68, otherObjects: 136 });
    const rest = [];
    for (let i = 0; i < 70; i++) {
      clock.ms += 1000;
      rest.push(...l.due());
    }
    expect(rest).toHaveLength(63);
    expect(rest.every((x) => x.report.payload.suppressed === undefined)).toBe(true);
  });

  it('forgets a cluster once its bucket is full again and nothing is held', () => {
    const { l, clock } = limiter(2, 60);
    l.offer('c1', drift('a'));
    l.offer('c1', drift('b'));
    l.offer('c1', drift('c'));
    expect(l.size).toBe(1);
    clock.ms += 10_000;
    expect(l.due()).toHaveLength(1);
    clock.ms += 10_000;
    expect(l.due()).toEqual([]);
    expect(l.size).toBe(0);
  });
});
