import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_STATES, type BundleStateName } from '@flotilla/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, StoreInvalidError, StoreNotFoundError, StoreReferenceError, type Store } from './index.js';

let dir: string;
let store: Store;
let clock: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-store-'));
  clock = Date.parse('2025-01-01T00:00:00Z');
  store = openStore(join(dir, 'hub.db'), { now: () => new Date(clock) });
  store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
  store.environments.put({ name: 'prod', repo: 'apps', branch: 'prod' });
  store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev', promotesTo: 'prod' });
  store.targets.put({ name: 'web', repo: 'apps', path: 'web', environments: ['dev', 'prod'] });
  store.targets.put({ name: 'api', repo: 'apps', path: 'api', environments: ['dev'] });
  store.clusters.create({ name: 'c1' });
  store.clusters.create({ name: 'c2' });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function putBundle(text: string): string {
  const content = Buffer.from(text);
  const digest = createHash('sha256').update(content).digest('hex');
  store.bundles.put({ digest, content, objectCount: 1 });
  return digest;
}

const KEY = { cluster: 'c1', target: 'web', environment: 'dev' };

describe('deployments', () => {
  it('starts at generation 1, Pending; a new bundle starts the next generation', () => {
    const b1 = putBundle('one');
    const b2 = putBundle('two');
    expect(store.deployments.setDesired({ ...KEY, bundle: b1, revision: 'r1' })).toStrictEqual({
      ...KEY,
      bundle: b1,
      options: {},
      revision: 'r1',
      generation: 1,
      state: 'Pending',
      message: '',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready', message: 'all good' });

    clock += 1000;
    const same = store.deployments.setDesired({ ...KEY, bundle: b1, revision: 'r2' });
    expect(same).toMatchObject({ generation: 1, state: 'Ready', message: 'all good', revision: 'r2' });

    clock += 1000;
    const next = store.deployments.setDesired({ ...KEY, bundle: b2, revision: 'r3' });
    expect(next).toMatchObject({ bundle: b2, generation: 2, state: 'Pending', message: '' });
    expect(next.updatedAt).toBe('2025-01-01T00:00:02.000Z');
  });

  it('starts a new generation when only the options change', () => {
    const b1 = putBundle('one');
    store.deployments.setDesired({ ...KEY, bundle: b1, options: { selfHeal: true } });
    store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    const same = store.deployments.setDesired({ ...KEY, bundle: b1, options: { selfHeal: true } });
    expect(same).toMatchObject({ generation: 1, state: 'Ready' });
    const next = store.deployments.setDesired({ ...KEY, bundle: b1, options: { selfHeal: false } });
    expect(next).toMatchObject({ generation: 2, state: 'Pending', options: { selfHeal: false } });
  });

  it('records reports for the current generation only', () => {
    const b1 = putBundle('one');
    const b2 = putBundle('two');
    store.deployments.setDesired({ ...KEY, bundle: b1 });
    store.deployments.setDesired({ ...KEY, bundle: b2 });
    const stale = store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' });
    expect(stale).toMatchObject({ recorded: false, deployment: { generation: 2, state: 'Pending' } });
    const current = store.deployments.recordStatus({ ...KEY, generation: 2, state: 'ErrApplied', message: 'boom' });
    expect(current).toMatchObject({ recorded: true, deployment: { state: 'ErrApplied', message: 'boom' } });
  });

  it('accepts every bundle state and refuses others, naming the deployment', () => {
    store.deployments.setDesired({ ...KEY, bundle: putBundle('one') });
    for (const state of BUNDLE_STATES) {
      expect(store.deployments.recordStatus({ ...KEY, generation: 1, state }).deployment.state).toBe(state);
    }
    expect(() => store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Happy' as BundleStateName })).toThrow(
      new StoreInvalidError(
        'deployment of target "web" (environment "dev") on cluster "c1": "Happy" is not a bundle state',
      ),
    );
  });

  it('names what is missing', () => {
    const b = putBundle('one');
    expect(() => store.deployments.setDesired({ ...KEY, cluster: 'ghost', bundle: b })).toThrow(
      new StoreReferenceError(
        'deployment of target "web" (environment "dev") on cluster "ghost": cluster "ghost" does not exist',
      ),
    );
    expect(() => store.deployments.setDesired({ ...KEY, bundle: 'f'.repeat(64) })).toThrow(
      `bundle "${'f'.repeat(64)}" does not exist`,
    );
    expect(() => store.deployments.recordStatus({ ...KEY, generation: 1, state: 'Ready' })).toThrow(StoreNotFoundError);
  });

  it('lists with filters, in key order', () => {
    const b = putBundle('one');
    store.deployments.setDesired({ cluster: 'c2', target: 'web', environment: 'prod', bundle: b });
    store.deployments.setDesired({ cluster: 'c1', target: 'web', environment: 'dev', bundle: b });
    store.deployments.setDesired({ cluster: 'c1', target: 'api', environment: 'dev', bundle: b });
    store.deployments.recordStatus({ cluster: 'c1', target: 'api', environment: 'dev', generation: 1, state: 'Ready' });
    const keys = (filter = {}) =>
      store.deployments.list(filter).map((d) => `${d.cluster}/${d.target}/${d.environment}`);
    expect(keys()).toEqual(['c1/api/dev', 'c1/web/dev', 'c2/web/prod']);
    expect(keys({ cluster: 'c1' })).toEqual(['c1/api/dev', 'c1/web/dev']);
    expect(keys({ target: 'web', environment: 'prod' })).toEqual(['c2/web/prod']);
    expect(keys({ state: 'Ready' })).toEqual(['c1/api/dev']);
    expect(keys({ cluster: 'c1', state: 'Pending' })).toEqual(['c1/web/dev']);
  });

  it('goes away with its cluster or target, and holds on to its bundle', () => {
    const b = putBundle('one');
    store.deployments.setDesired({ cluster: 'c1', target: 'web', environment: 'dev', bundle: b });
    store.deployments.setDesired({ cluster: 'c2', target: 'api', environment: 'dev', bundle: b });
    store.deployments.setDesired({ cluster: 'c2', target: 'web', environment: 'prod', bundle: b });
    expect(store.bundles.pruneUnreferenced('2999-01-01T00:00:00.000Z')).toBe(0);
    store.clusters.delete('c1');
    store.targets.delete('api');
    expect(store.deployments.list().map((d) => d.cluster + '/' + d.target)).toEqual(['c2/web']);
    expect(store.deployments.delete({ cluster: 'c2', target: 'web', environment: 'prod' })).toBe(true);
    expect(store.deployments.get({ cluster: 'c2', target: 'web', environment: 'prod' })).toBeUndefined();
    expect(store.bundles.pruneUnreferenced('2999-01-01T00:00:00.000Z')).toBe(1);
  });
});
