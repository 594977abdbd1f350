import { describe, expect, it } from 'vitest';
import { SeenDeliveries } from './webhook-replay.js';

describe('SeenDeliveries', () => {
  it('recognizes any key seen within the TTL, per repo, and forgets after it', () => {
    let now = 0;
    const seen = new SeenDeliveries({ ttlMs: 1000, max: 100, now: () => now });
    expect(seen.check('config', ['body-a', 'id-1'])).toBe(false);
    expect(seen.check('config', ['body-a', 'id-2'])).toBe(true);
    expect(seen.check('config', ['body-b', 'id-1'])).toBe(true);
    expect(seen.check('other', ['body-a', 'id-1'])).toBe(false);
    now = 5000;
    expect(seen.check('config', ['body-a', 'id-1'])).toBe(false);
  });

  it('holds at most max keys, dropping expired and least recently seen ones', () => {
    let now = 0;
    const seen = new SeenDeliveries({ ttlMs: 1000, max: 10, now: () => now });
    for (let i = 0; i < 1000; i++) seen.check('config', [`k${i}`]);
    expect(seen.size).toBe(10);
    expect(seen.check('config', ['k999'])).toBe(true);
    expect(seen.check('config', ['k0'])).toBe(false);
    now = 2000;
    seen.check('config', ['fresh']);
    expect(seen.size).toBe(1);
  });
});
