import { describe, expect, it } from 'vitest';
import { useTempStore } from '../store/testing.js';
import { CredentialCache } from './credential-cache.js';
import { hashSecret } from './registration.js';

describe('CredentialCache', () => {
  const t = useTempStore();
  const setup = (maxAgeMs = 30_000) => {
    let clock = 0;
    t.store.clusters.create({ name: 'alpha', credentialHash: hashSecret('flagt_alpha') });
    t.store.clusters.create({ name: 'beta', credentialHash: hashSecret('flagt_beta') });
    const cache = new CredentialCache(t.store, { maxAgeMs, now: () => clock });
    return { cache, tick: (ms: number) => (clock += ms) };
  };

  it("answers from what it checked, until the cluster is forgotten: then the store's answer counts", () => {
    const { cache } = setup();
    expect(cache.cluster('flagt_alpha')).toBe('alpha');
    expect(cache.cluster('flagt_beta')).toBe('beta');
    // Written around the cache: proves later answers come from it, not from the store.
    t.store.clusters.revoke('alpha');
    expect(cache.cluster('flagt_alpha')).toBe('alpha');
    cache.forget('alpha');
    expect(() => cache.cluster('flagt_alpha')).toThrow(/CREDENTIAL_|not known|revoked/);
    expect(cache.cluster('flagt_beta')).toBe('beta');
  });

  it('asks the store again on a recheck, and once a check is older than maxAgeMs', () => {
    const { cache, tick } = setup(1000);
    expect(cache.cluster('flagt_alpha')).toBe('alpha');
    expect(cache.cluster('flagt_beta')).toBe('beta');
    t.store.clusters.setCredential('alpha', hashSecret('flagt_alpha_2'));
    t.store.clusters.revoke('beta');
    expect(() => cache.cluster('flagt_alpha', true)).toThrow(/not known/);
    tick(999);
    expect(cache.cluster('flagt_beta')).toBe('beta');
    tick(1);
    expect(() => cache.cluster('flagt_beta')).toThrow(/not known|revoked/);
    // A refused credential is not kept: the store is asked every time.
    expect(() => cache.cluster('flagt_beta')).toThrow(/not known|revoked/);
    expect(cache.cluster('flagt_alpha_2')).toBe('alpha');
  });

  it('refuses a missing or unknown credential without keeping anything', () => {
    const { cache } = setup();
    expect(() => cache.cluster(undefined)).toThrow(/no agent credential/);
    expect(() => cache.cluster('flagt_nobody')).toThrow(/not known/);
    t.store.clusters.create({ name: 'gamma', credentialHash: hashSecret('flagt_nobody') });
    expect(cache.cluster('flagt_nobody')).toBe('gamma');
  });
});
