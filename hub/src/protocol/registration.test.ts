import { describe, expect, it } from 'vitest';
import { useTempStore } from '../store/testing.js';
import { hashSecret, mintRegistrationToken, register, reportedFacts } from './registration.js';

describe('registration: a cluster’s identity comes from the hub', () => {
  const t = useTempStore();
  const mint = (cluster: string, labels: Record<string, string> = {}) =>
    mintRegistrationToken(t.store, { cluster, labels }).token;

  it('ignores the labels an agent sends; the token’s go over those the cluster has', () => {
    const first = register(t.store, {
      token: mint('c1', { site: 'one' }),
      clusterName: 'c1',
      labels: { tier: 'gold' },
    });
    expect(first.cluster.labels).toEqual({ site: 'one' });
    t.store.clusters.setLabels('c1', { site: 'one', zone: 'a' });
    const again = register(t.store, { token: mint('c1', { site: 'two' }), clusterName: 'c1', labels: { zone: 'b' } });
    expect(again.cluster.labels).toEqual({ site: 'two', zone: 'a' });
    expect(register(t.store, { token: mint('c1'), clusterName: 'c1' }).cluster.labels).toEqual({
      site: 'two',
      zone: 'a',
    });
  });

  it('mints only for names and labels the rule accepts, naming the caller’s field', () => {
    expect(() => mintRegistrationToken(t.store, { cluster: 'Bad_Name' })).toThrow(
      /^name: "Bad_Name" is not a valid cluster name/,
    );
    expect(() =>
      mintRegistrationToken(t.store, {
        cluster: 'c1',
        labels: { tier: 'a\u0000' },
        fields: { cluster: '--cluster', labels: '--label' },
      }),
    ).toThrow(/^--label: the value "a\\u0000" of "tier" is not a valid label value/);
    expect(t.store.registrationTokens.list()).toEqual([]);
    // A cluster the hub already holds keeps its name, whatever the rule says now: it can be re-registered.
    t.store.clusters.create({ name: 'legacy_1' });
    expect(mintRegistrationToken(t.store, { cluster: 'legacy_1' }).token).toMatch(/^flreg_/);
  });

  it('refuses, before spending it, a token from before the rule that would create a cluster it refuses', () => {
    const token = 'flreg_from-an-older-hub';
    t.store.registrationTokens.put({
      tokenHash: hashSecret(token),
      clusterName: 'Bad Name/../x',
      labels: {},
      expiresAt: new Date(t.clock + 3600_000).toISOString(),
    });
    expect(() => register(t.store, { token, clusterName: 'Bad Name/../x' }, new Date(t.clock))).toThrow(
      /^registration token cluster: "Bad Name\/\.\.\/x" is not a valid cluster name/,
    );
    expect(t.store.registrationTokens.get(hashSecret(token))?.usedAt).toBeUndefined();
    expect(t.store.clusters.list()).toEqual([]);
  });

  it('refuses a reported version outside the rule before spending the token; a hello drops it', () => {
    const token = mint('c2');
    expect(() => register(t.store, { token, clusterName: 'c2', kubernetesVersion: '\u001b]0;x\u0007' })).toThrow(
      /^kubernetesVersion: "\\u001b]0;x\\u0007" is not a version/,
    );
    const ok = register(t.store, {
      token,
      clusterName: 'c2',
      kubernetesVersion: 'v1.30.2+k3s1',
      agentVersion: '0.1.0',
    });
    expect(ok.cluster).toMatchObject({ kubernetesVersion: 'v1.30.2+k3s1', agentVersion: '0.1.0' });
    expect(reportedFacts({ kubernetesVersion: '--kube-version=x y', agentVersion: '0.2.0' }, 'drop')).toEqual({
      agentVersion: '0.2.0',
    });
  });

  it('shows a misnamed request’s cluster escaped', () => {
    expect(() => register(t.store, { token: mint('c3'), clusterName: 'c3\u001b[2J' })).toThrow(
      'registration token is for cluster c3, not "c3\\u001b[2J"',
    );
  });
});
