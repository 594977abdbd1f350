import { createHash } from 'node:crypto';
import { BUNDLE_STATES, type BundleStateName } from '@flotilla/proto';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreInvalidError, StoreNotFoundError, StoreReferenceError } from './index.js';
import { useTempStore } from './testing.js';

const t = useTempStore();
beforeEach(() => {
  t.store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
  t.store.environments.put({ name: 'prod', repo: 'apps', branch: 'prod' });
  t.store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev', promotesTo: 'prod' });
  t.store.targets.put({ name: 'web', repo: 'apps', path: 'web', environments: ['dev', 'prod'] });
  t.store.targets.put({ name: 'api', repo: 'apps', path: 'api', environments: ['dev'] });
  t.store.clusters.create({ name: 'c1' });
  t.store.clusters.create({ name: 'c2' });
});

function putBundle(text: string): string {
  const content = Buffer.from(text);
  const digest = createHash('sha256').update(content).digest('hex');
  t.store.bundles.put({ digest, content, objectCount: 1 });
  return digest;
}

const KEY = { cluster: 'c1', target: 'web', environment: 'dev' };

describe('deployments', () => {
  it('starts at generation 1, Pending; a new bundle starts the next generation', () => {
    const b1 = putBundle('one');
    const b2 = putBundle('two');
    expect(t.store.deployments.setDesired({ ...KEY, bundle: b1, revision: 'r1' })).toStrictEqual({
      ...KEY,
      bundle: b1,
      options: {},
      revision: 'r1',
      generation: 1,
      state: 'Pending',
      message: '',
      updatedAt: '2025-01-01T00:00:00.000Z',
      generationAt: '2025-01-01T00:00:00.000Z',
    });
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready', message: 'all good' });

    t.clock += 1000;
    const same = t.store.deployments.setDesired({ ...KEY, bundle: b1, revision: 'r2' });
    expect(same).toMatchObject({ generation: 1, state: 'Ready', message: 'all good', revision: 'r2' });

    t.clock += 1000;
    const next = t.store.deployments.setDesired({ ...KEY, bundle: b2, revision: 'r3' });
    expect(next).toMatchObject({ bundle: b2, generation: 2, state: 'Pending', message: '' });
    expect(next.updatedAt).toBe('2025-01-01T00:00:02.000Z');
  });

  it('records a routine Ready or ErrApplied in one statement only when the generation is settled already', () => {
    const b1 = putBundle('one');
    t.store.deployments.setDesired({ ...KEY, bundle: b1 });
    // Not settled yet: nothing written, the caller takes recordStatus (which settles it).
    expect(
      t.store.deployments.recordResettled({ ...KEY, generation: 1, state: 'Ready', message: 'x' }),
    ).toBeUndefined();
    expect(t.store.deployments.get(KEY)).toMatchObject({ state: 'Pending', message: '' });
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    const settledAt = t.store.deployments.get(KEY)?.settledAt;
    t.clock += 1000;
    const again = t.store.deployments.recordResettled({ ...KEY, generation: 1, state: 'ErrApplied', message: 'boom' });
    expect(again?.settled).toBeUndefined();
    expect(again?.deployment).toMatchObject({ state: 'ErrApplied', message: 'boom', settledAt });
    expect(again?.deployment.updatedAt).toBe('2025-01-01T00:00:01.000Z');
    // Another generation, a state that does not settle, or no such deployment: left to recordStatus.
    expect(t.store.deployments.recordResettled({ ...KEY, generation: 2, state: 'Ready' })).toBeUndefined();
    expect(t.store.deployments.recordResettled({ ...KEY, generation: 1, state: 'NotReady' })).toBeUndefined();
    expect(
      t.store.deployments.recordResettled({ ...KEY, cluster: 'c2', generation: 1, state: 'Ready' }),
    ).toBeUndefined();
    expect(t.store.deployments.get(KEY)).toMatchObject({ state: 'ErrApplied', message: 'boom' });
  });

  it('settles a generation once: the first Ready or ErrApplied, with how long the rollout took', () => {
    const b1 = putBundle('one');
    const b2 = putBundle('two');
    t.store.deployments.setDesired({ ...KEY, bundle: b1 });
    t.clock += 500;
    expect(t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'WaitApplied' }).settled).toBeUndefined();
    t.clock += 1500;
    const ready = t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    expect(ready.settled).toEqual({ state: 'Ready', durationMs: 2000 });
    expect(ready.deployment.settledAt).toBe('2025-01-01T00:00:02.000Z');
    t.clock += 1000;
    // A flap within the generation is not a second rollout.
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'NotReady' });
    expect(t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' }).settled).toBeUndefined();
    // The same bundle again keeps the settled generation; a new bundle starts unsettled.
    expect(t.store.deployments.setDesired({ ...KEY, bundle: b1, revision: 'r9' }).settledAt).toBeDefined();
    t.clock += 1000;
    const next = t.store.deployments.setDesired({ ...KEY, bundle: b2 });
    expect(next.settledAt).toBeUndefined();
    expect(next.generationAt).toBe('2025-01-01T00:00:04.000Z');
    t.clock += 250;
    const failed = t.store.deployments.recordStatus({ ...KEY, generation: 2, state: 'ErrApplied', message: 'boom' });
    expect(failed.settled).toEqual({ state: 'ErrApplied', durationMs: 250 });
  });

  it('keeps the per-object health of the last report, for its generation only', () => {
    const b1 = putBundle('one');
    const b2 = putBundle('two');
    t.store.deployments.setDesired({ ...KEY, bundle: b1 });
    // Nothing reported yet: no objects known.
    expect(t.store.deployments.get(KEY)?.objects).toBeUndefined();
    const stuck = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      state: 'NotReady' as const,
      health: 'InProgress' as const,
      change: 'configured' as const,
      message: 'Available: 0/3 replicas',
    };
    t.store.deployments.recordStatus({
      ...KEY,
      generation: 1,
      state: 'NotReady',
      objects: { total: 4, ready: 3, notReady: [stuck] },
    });
    expect(t.store.deployments.get(KEY)?.objects).toStrictEqual({ total: 4, ready: 3, notReady: [stuck] });
    // The routine path keeps them too; all ready is two numbers and an empty list.
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    t.store.deployments.recordResettled({
      ...KEY,
      generation: 1,
      state: 'Ready',
      objects: { total: 4, ready: 4, notReady: [] },
    });
    expect(t.store.deployments.list()[0]?.objects).toStrictEqual({ total: 4, ready: 4, notReady: [] });
    // A report that names no objects clears what was known: it is not the last report's.
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'NotReady' });
    expect(t.store.deployments.get(KEY)?.objects).toBeUndefined();
    t.store.deployments.recordStatus({
      ...KEY,
      generation: 1,
      state: 'NotReady',
      objects: { total: 1, ready: 0, notReady: [stuck] },
    });
    // A report for an old generation is ignored, and a new generation starts with nothing known.
    t.store.deployments.setDesired({ ...KEY, bundle: b2 });
    expect(t.store.deployments.get(KEY)?.objects).toBeUndefined();
    t.store.deployments.recordStatus({
      ...KEY,
      generation: 1,
      state: 'Ready',
      objects: { total: 1, ready: 1, notReady: [] },
    });
    expect(t.store.deployments.get(KEY)?.objects).toBeUndefined();
  });

  it("keeps the agent's retry of a failed apply until a report says none; a new generation starts without", () => {
    const b1 = putBundle('one');
    t.store.deployments.setDesired({ ...KEY, bundle: b1 });
    const retry = {
      attempt: 2,
      at: '2025-01-01T00:00:04.000Z',
      reason: 'ConfigMap/shop/web: namespaces "shop" not found',
    };
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'ErrApplied', message: 'x', retry });
    expect(t.store.deployments.get(KEY)?.retry).toEqual(retry);
    // A routine report of the settled generation carries it too, and clears it once the apply works.
    t.store.deployments.recordResettled({
      ...KEY,
      generation: 1,
      state: 'ErrApplied',
      retry: { ...retry, attempt: 3 },
    });
    expect(t.store.deployments.get(KEY)?.retry?.attempt).toBe(3);
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    expect(t.store.deployments.get(KEY)).not.toHaveProperty('retry');
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'ErrApplied', retry });
    t.store.deployments.setDesired({ ...KEY, bundle: putBundle('two') });
    expect(t.store.deployments.get(KEY)).not.toHaveProperty('retry');
  });

  it('counts the retries asked for, per deployment; a deployment that does not exist is skipped', () => {
    const b1 = putBundle('one');
    t.store.deployments.setDesired({ ...KEY, bundle: b1 });
    t.store.deployments.setDesired({ ...KEY, cluster: 'c2', bundle: b1 });
    expect(t.store.deployments.get(KEY)).not.toHaveProperty('retryRequests');
    const asked = t.store.deployments.requestRetry([KEY, { ...KEY, target: 'api' }]);
    expect(asked.map((d) => [d.cluster, d.target, d.retryRequests])).toEqual([['c1', 'web', 1]]);
    t.store.deployments.requestRetry([KEY]);
    expect(t.store.deployments.get(KEY)).toMatchObject({ retryRequests: 2, generation: 1, state: 'Pending' });
    expect(t.store.deployments.get({ ...KEY, cluster: 'c2' })).not.toHaveProperty('retryRequests');
  });

  it('tells whether a cluster runs a bundle (who may fetch it)', () => {
    const b1 = putBundle('one');
    const b2 = putBundle('two');
    t.store.deployments.setDesired({ ...KEY, bundle: b1 });
    expect(t.store.deployments.uses('c1', b1)).toBe(true);
    expect(t.store.deployments.uses('c1', b2)).toBe(false);
    expect(t.store.deployments.uses('c2', b1)).toBe(false);
  });

  it('starts a new generation when only the options change', () => {
    const b1 = putBundle('one');
    t.store.deployments.setDesired({ ...KEY, bundle: b1, options: { selfHeal: true } });
    t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    const same = t.store.deployments.setDesired({ ...KEY, bundle: b1, options: { selfHeal: true } });
    expect(same).toMatchObject({ generation: 1, state: 'Ready' });
    const next = t.store.deployments.setDesired({ ...KEY, bundle: b1, options: { selfHeal: false } });
    expect(next).toMatchObject({ generation: 2, state: 'Pending', options: { selfHeal: false } });
  });

  it('records reports for the current generation only', () => {
    const b1 = putBundle('one');
    const b2 = putBundle('two');
    t.store.deployments.setDesired({ ...KEY, bundle: b1 });
    t.store.deployments.setDesired({ ...KEY, bundle: b2 });
    const stale = t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    expect(stale).toMatchObject({ recorded: false, deployment: { generation: 2, state: 'Pending' } });
    const current = t.store.deployments.recordStatus({ ...KEY, generation: 2, state: 'ErrApplied', message: 'boom' });
    expect(current).toMatchObject({ recorded: true, deployment: { state: 'ErrApplied', message: 'boom' } });
  });

  it('accepts every bundle state and refuses others, naming the deployment', () => {
    t.store.deployments.setDesired({ ...KEY, bundle: putBundle('one') });
    for (const state of BUNDLE_STATES) {
      expect(t.store.deployments.recordStatus({ ...KEY, generation: 1, state }).deployment.state).toBe(state);
    }
    expect(() =>
      t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Happy' as BundleStateName }),
    ).toThrow(
      new StoreInvalidError(
        'deployment of target "web" (environment "dev") on cluster "c1": "Happy" is not a bundle state',
      ),
    );
  });

  it('names what is missing', () => {
    const b = putBundle('one');
    expect(() => t.store.deployments.setDesired({ ...KEY, cluster: 'ghost', bundle: b })).toThrow(
      new StoreReferenceError(
        'deployment of target "web" (environment "dev") on cluster "ghost": cluster "ghost" does not exist',
      ),
    );
    expect(() => t.store.deployments.setDesired({ ...KEY, bundle: 'f'.repeat(64) })).toThrow(
      `bundle "${'f'.repeat(64)}" does not exist`,
    );
    expect(() => t.store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' })).toThrow(
      StoreNotFoundError,
    );
  });

  it('lists with filters, in key order', () => {
    const b = putBundle('one');
    t.store.deployments.setDesired({ cluster: 'c2', target: 'web', environment: 'prod', bundle: b });
    t.store.deployments.setDesired({ cluster: 'c1', target: 'web', environment: 'dev', bundle: b });
    t.store.deployments.setDesired({ cluster: 'c1', target: 'api', environment: 'dev', bundle: b });
    t.store.deployments.recordStatus({
      cluster: 'c1',
      target: 'api',
      environment: 'dev',
      generation: 1,
      state: 'Ready',
    });
    const keys = (filter = {}) =>
      t.store.deployments.list(filter).map((d) => `${d.cluster}/${d.target}/${d.environment}`);
    expect(keys()).toEqual(['c1/api/dev', 'c1/web/dev', 'c2/web/prod']);
    expect(keys({ cluster: 'c1' })).toEqual(['c1/api/dev', 'c1/web/dev']);
    expect(keys({ target: 'web', environment: 'prod' })).toEqual(['c2/web/prod']);
    expect(keys({ state: 'Ready' })).toEqual(['c1/api/dev']);
    expect(keys({ cluster: 'c1', state: 'Pending' })).toEqual(['c1/web/dev']);
  });

  it('goes away with its cluster or target, and holds on to its bundle', () => {
    const b = putBundle('one');
    t.store.deployments.setDesired({ cluster: 'c1', target: 'web', environment: 'dev', bundle: b });
    t.store.deployments.setDesired({ cluster: 'c2', target: 'api', environment: 'dev', bundle: b });
    t.store.deployments.setDesired({ cluster: 'c2', target: 'web', environment: 'prod', bundle: b });
    expect(t.store.bundles.pruneUnreferenced('2999-01-01T00:00:00.000Z')).toBe(0);
    t.store.clusters.delete('c1');
    t.store.targets.delete('api');
    expect(t.store.deployments.list().map((d) => d.cluster + '/' + d.target)).toEqual(['c2/web']);
    expect(t.store.deployments.delete({ cluster: 'c2', target: 'web', environment: 'prod' })).toBe(true);
    expect(t.store.deployments.get({ cluster: 'c2', target: 'web', environment: 'prod' })).toBeUndefined();
    expect(t.store.bundles.pruneUnreferenced('2999-01-01T00:00:00.000Z')).toBe(1);
  });
});
