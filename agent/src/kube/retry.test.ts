import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableNetworkError, isRetryableStatus } from './retry.js';

const policy = { retryForMs: 60_000, baseDelayMs: 200, maxDelayMs: 5_000 };

describe('retry policy', () => {
  it('backs off exponentially with jitter, capped, honouring Retry-After', () => {
    expect([1, 2, 3, 10].map((a) => backoffDelay(a, policy, () => 1))).toEqual([200, 400, 800, 5000]);
    expect(backoffDelay(1, policy, () => 0)).toBe(100);
    expect(backoffDelay(1, policy, () => 0, 2)).toBe(2000);
  });

  it('retries what a restarting or overloaded apiserver does, not refusals', () => {
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryableNetworkError(new Error('socket hang up'))).toBe(true);
    expect(isRetryableNetworkError(new Error('certificate has expired'))).toBe(false);
    expect([429, 500, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });
});
