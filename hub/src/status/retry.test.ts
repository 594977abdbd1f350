import { describe, expect, it } from 'vitest';
import { retryOf } from './retry.js';
import { OBJECT_MESSAGE_MAX } from './objects.js';

describe('retryOf: the retry an agent reports', () => {
  it('is none unless a time is given; a time kept as ISO 8601', () => {
    expect(retryOf({ retryAttempt: 0, retryAtUnixMs: '0', retryReason: '' })).toBeUndefined();
    expect(retryOf({ retryAttempt: 2, retryAtUnixMs: '1767225612000', retryReason: 'ConfigMap/a/b: no' })).toEqual({
      attempt: 2,
      at: '2026-01-01T00:00:12.000Z',
      reason: 'ConfigMap/a/b: no',
    });
  });

  it('takes no time a Date cannot hold, and cuts a long reason (an agent is untrusted)', () => {
    expect(retryOf({ retryAttempt: 1, retryAtUnixMs: '9223372036854775807', retryReason: 'x' })).toBeUndefined();
    expect(retryOf({ retryAttempt: 1, retryAtUnixMs: '-5', retryReason: 'x' })).toBeUndefined();
    const long = retryOf({ retryAttempt: 1, retryAtUnixMs: '1000', retryReason: 'y'.repeat(100_000) });
    expect(long?.reason).toHaveLength(OBJECT_MESSAGE_MAX);
    expect(long?.reason.endsWith('…')).toBe(true);
  });
});
