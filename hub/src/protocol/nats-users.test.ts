import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../store/testing.js';
import { NatsUserRegistry } from './nats-users.js';

describe('NatsUserRegistry', () => {
  const t = useTempDir('flotilla-nats-users-');
  const T0 = Date.parse('2026-01-01T00:00:00Z');

  it('rotates on registration: the older key is revoked, the new one is good', () => {
    const r = new NatsUserRegistry();
    r.issue('alpha', 'UA1', T0);
    r.issue('beta', 'UB1', T0);
    expect(r.revocations()).toEqual({});
    r.issue('alpha', 'UA2', T0 + 5000);
    expect(r.revocations()).toEqual({ UA1: T0 / 1000 + 5 });
    expect(r.issuedClusters()).toEqual(['alpha', 'beta']);
  });

  it('revokes every key of revoked clusters, once', () => {
    const r = new NatsUserRegistry();
    r.issue('alpha', 'UA1', T0);
    expect(r.revokeClusters(['alpha', 'unknown'], T0 + 1000)).toBe(true);
    expect(r.revokeClusters(['alpha'], T0 + 2000)).toBe(false);
    expect(r.revocations()).toEqual({ UA1: T0 / 1000 + 1 });
    expect(r.issuedClusters()).toEqual([]);
  });

  it('knows every key it signed for, held or revoked: a registration must bring a new one', () => {
    const r = new NatsUserRegistry();
    r.issue('alpha', 'UA1', T0);
    r.issue('alpha', 'UA2', T0);
    expect([r.known('UA1'), r.known('UA2'), r.known('UB1')]).toEqual([true, true, false]);
    r.revokeClusters(['alpha'], T0);
    expect(r.known('UA2')).toBe(true);
  });

  it('keeps its state in a file for the next hub process, and names a torn file', () => {
    const file = join(t.dir, 'users.json');
    const r = new NatsUserRegistry(file);
    r.issue('alpha', 'UA1', T0);
    r.issue('alpha', 'UA2', T0);
    const again = new NatsUserRegistry(file);
    expect(again.issuedClusters()).toEqual(['alpha']);
    expect(again.revocations()).toEqual({ UA1: T0 / 1000 });
    writeFileSync(file, '{torn');
    expect(() => new NatsUserRegistry(file)).toThrow(/users.json is not the hub's NATS user registry/);
  });
});
