import { describe, expect, it } from 'vitest';
import { AuthThrottle, clientKey, type AuthFailureReport } from './auth-throttle.js';

function throttle(
  o: { burst?: number; periodSeconds?: number; maxAddresses?: number; maxReportsPerPeriod?: number } = {},
) {
  let now = Date.parse('2030-01-01T00:00:00Z');
  const reports: AuthFailureReport[] = [];
  const t = new AuthThrottle({
    burst: o.burst ?? 5,
    periodSeconds: o.periodSeconds ?? 60,
    ...(o.maxAddresses ? { maxAddresses: o.maxAddresses } : {}),
    ...(o.maxReportsPerPeriod ? { maxReportsPerPeriod: o.maxReportsPerPeriod } : {}),
    report: (r) => reports.push(r),
    now: () => now,
  });
  return { t, reports, advance: (ms: number) => (now += ms) };
}

describe('AuthThrottle', () => {
  it('lets a burst through, then refuses with the wait until one more failure is allowed', () => {
    const { t, advance } = throttle({ burst: 5, periodSeconds: 60 });
    for (let i = 0; i < 5; i++) expect(t.failed('10.0.0.1', 'unknown').retryAfterSeconds).toBeUndefined();
    expect(t.failed('10.0.0.1', 'unknown')).toEqual({ address: '10.0.0.1', retryAfterSeconds: 12 });
    expect(t.failed('10.0.0.2', 'unknown').retryAfterSeconds).toBeUndefined();
    advance(12_000);
    expect(t.failed('10.0.0.1', 'unknown').retryAfterSeconds).toBeUndefined();
    expect(t.failed('10.0.0.1', 'unknown').retryAfterSeconds).toBe(12);
  });

  it('reports one event per address per window, with the count, and forgets idle addresses', () => {
    const { t, reports, advance } = throttle({ burst: 2, periodSeconds: 10 });
    for (let i = 0; i < 50; i++) t.failed('10.0.0.1', i % 10 === 0 ? 'revoked' : 'unknown');
    advance(9_999);
    t.sweep();
    expect(reports).toEqual([]);
    advance(1);
    t.sweep();
    expect(reports).toEqual([
      {
        address: '10.0.0.1',
        failures: 50,
        refused: 48,
        reasons: { unknown: 45, revoked: 5 },
        firstAt: '2030-01-01T00:00:00.000Z',
        lastAt: '2030-01-01T00:00:00.000Z',
      },
    ]);
    advance(10_000);
    t.sweep();
    expect(reports).toHaveLength(1);
    expect(t.size).toBe(0);
  });

  it('stays bounded when an attacker rotates addresses: an LRU, and one folded event past the report budget', () => {
    const { t, reports, advance } = throttle({
      burst: 1,
      periodSeconds: 10,
      maxAddresses: 100,
      maxReportsPerPeriod: 10,
    });
    for (let i = 0; i < 10_000; i++) t.failed(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'unknown');
    expect(t.size).toBe(100);
    advance(10_000);
    t.sweep();
    expect(reports).toHaveLength(11);
    const folded = reports.find((r) => r.address === '*');
    expect(folded).toMatchObject({ failures: 9_990, addresses: 9_990 });
    expect(reports.reduce((n, r) => n + r.failures, 0)).toBe(10_000);
  });

  it('reports what is open when stopped', () => {
    const { t, reports } = throttle();
    t.failed('10.0.0.1', 'malformed');
    t.stop();
    expect(reports).toMatchObject([{ address: '10.0.0.1', failures: 1, refused: 0, reasons: { malformed: 1 } }]);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80:0:0:00a0::ffff:1.2.3.4', 'fe80:0:0:a0::/64'],
  ])('keys %s as %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });
});
