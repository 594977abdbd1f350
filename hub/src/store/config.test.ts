import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { environmentFromRow, environmentToRow } from './config.js';
import {
  openStore,
  StoreConflictError,
  StoreInvalidError,
  StoreNotFoundError,
  StoreReferenceError,
  type Store,
} from './index.js';
import { repoFromRow, repoToRow } from './repos.js';

let dir: string;
let store: Store;
let clock: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-store-'));
  clock = Date.parse('2025-01-01T00:00:00Z');
  store = openStore(join(dir, 'hub.db'), { now: () => new Date(clock) });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const REPO = { name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 };

/** dev → staging → prod on repo apps; prod deploys to group prod. */
function chain(s: Store): void {
  s.repos.put(REPO);
  s.groups.put({ name: 'prod', selector: 'env=prod' });
  s.environments.put({ name: 'prod', repo: 'apps', branch: 'prod', group: 'prod' });
  s.environments.put({ name: 'staging', repo: 'apps', branch: 'staging', selector: 'env=staging', promotesTo: 'prod' });
  s.environments.put({ name: 'dev', repo: 'apps', branch: 'dev', selector: 'env=dev', promotesTo: 'staging' });
}

describe('groups', () => {
  it('puts (create or replace), gets, lists by name and deletes', () => {
    store.groups.put({ name: 'prod', selector: 'env=prod' });
    store.groups.put({ name: 'eu', selector: 'region=eu' });
    store.groups.put({ name: 'prod', selector: 'env=prod,tier=1' });
    expect(store.groups.get('prod')).toEqual({ name: 'prod', selector: 'env=prod,tier=1' });
    expect(store.groups.list().map((g) => g.name)).toEqual(['eu', 'prod']);
    expect(store.groups.delete('eu')).toBe(true);
    expect(store.groups.delete('eu')).toBe(false);
  });

  it('cannot be deleted while an environment deploys to it', () => {
    chain(store);
    expect(() => store.groups.delete('prod')).toThrow(
      new StoreConflictError('group "prod" is still used by environments prod; change or delete them first'),
    );
  });
});

describe('repos', () => {
  it('maps rows both ways', () => {
    const repo = { ...REPO, auth: { secret: 'git-creds' }, webhookSecretSealed: 'wh' };
    expect(repoFromRow(repoToRow(repo))).toStrictEqual(repo);
    expect(repoFromRow(repoToRow(REPO))).toStrictEqual(REPO);
  });

  it('puts, gets, lists and deletes', () => {
    store.repos.put({ ...REPO, auth: { secret: 'git-creds' } });
    store.repos.put({ ...REPO, pollIntervalSeconds: 30 });
    expect(store.repos.get('apps')).toStrictEqual({ ...REPO, pollIntervalSeconds: 30 });
    expect(store.repos.list()).toHaveLength(1);
    expect(store.repos.delete('apps')).toBe(true);
    expect(store.repos.get('apps')).toBeUndefined();
  });

  it('refuses a poll interval that is not positive', () => {
    expect(thrown(() => store.repos.put({ ...REPO, pollIntervalSeconds: 0 }))).toMatchObject({
      code: 'STORE_INVALID',
      message: expect.stringContaining('repo "apps"'),
    });
  });

  it('records fetches per branch, keeping the last good commit across an error', () => {
    store.repos.put(REPO);
    store.repos.recordFetched('apps', 'main', 'c1');
    clock += 1000;
    const failed = store.repos.recordFetchError('apps', 'main', 'HTTP 503');
    expect(failed).toStrictEqual({
      repo: 'apps',
      branch: 'main',
      commit: 'c1',
      fetchedAt: '2025-01-01T00:00:00.000Z',
      error: 'HTTP 503',
      errorAt: '2025-01-01T00:00:01.000Z',
    });
    clock += 1000;
    expect(store.repos.recordFetched('apps', 'main', 'c2')).toStrictEqual({
      repo: 'apps',
      branch: 'main',
      commit: 'c2',
      fetchedAt: '2025-01-01T00:00:02.000Z',
    });
    store.repos.recordFetchError('apps', 'dev', 'not found');
    expect(store.repos.listBranches('apps').map((b) => [b.branch, b.commit])).toEqual([
      ['dev', undefined],
      ['main', 'c2'],
    ]);
    expect(() => store.repos.recordFetched('ghost', 'main', 'c')).toThrow(
      new StoreNotFoundError('repo "ghost" does not exist'),
    );
  });

  it('cannot be deleted while environments or targets use it; its branches go with it', () => {
    chain(store);
    store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web', environments: ['dev'] });
    expect(() => store.repos.delete('apps')).toThrow(
      'repo "apps" is still used by environment "dev", environment "prod", environment "staging", target "web"',
    );
    store.repos.put({ ...REPO, name: 'lonely' });
    store.repos.recordFetched('lonely', 'main', 'c1');
    expect(store.repos.delete('lonely')).toBe(true);
    expect(store.repos.listBranches('lonely')).toEqual([]);
  });
});

describe('environments', () => {
  it('maps rows both ways', () => {
    const env = { name: 'dev', repo: 'apps', branch: 'dev', group: 'g', selector: 'a=b', promotesTo: 'prod' };
    expect(environmentFromRow(environmentToRow(env))).toStrictEqual(env);
    const bare = { name: 'dev', repo: 'apps', branch: 'dev' };
    expect(environmentFromRow(environmentToRow(bare))).toStrictEqual(bare);
  });

  it('puts, gets and lists a promotion chain', () => {
    chain(store);
    expect(store.environments.get('dev')).toStrictEqual({
      name: 'dev',
      repo: 'apps',
      branch: 'dev',
      selector: 'env=dev',
      promotesTo: 'staging',
    });
    expect(store.environments.list().map((e) => e.name)).toEqual(['dev', 'prod', 'staging']);
  });

  it('names the missing repo, group or next environment', () => {
    store.repos.put(REPO);
    expect(() => store.environments.put({ name: 'dev', repo: 'other', branch: 'dev' })).toThrow(
      new StoreReferenceError('environment "dev" follows repo "other", which does not exist'),
    );
    expect(() => store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev', group: 'g' })).toThrow(
      'environment "dev" deploys to group "g", which does not exist',
    );
    expect(
      thrown(() => store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev', promotesTo: 'qa' })),
    ).toMatchObject({
      code: 'STORE_REFERENCE',
      message: 'environment "dev" promotes to environment "qa", which does not exist',
    });
  });

  it('refuses a promotion cycle', () => {
    chain(store);
    expect(() => store.environments.put({ name: 'prod', repo: 'apps', branch: 'prod', promotesTo: 'dev' })).toThrow(
      new StoreInvalidError('environment "prod" would make the promotion chain a cycle: prod → dev → staging → prod'),
    );
    expect(() => store.environments.put({ name: 'prod', repo: 'apps', branch: 'prod', promotesTo: 'prod' })).toThrow(
      StoreInvalidError,
    );
  });

  it('cannot be deleted while a target or another environment names it', () => {
    chain(store);
    store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web', environments: ['dev'] });
    expect(() => store.environments.delete('dev')).toThrow(
      new StoreConflictError('environment "dev" is still used by targets web; remove it from them first'),
    );
    expect(() => store.environments.delete('prod')).toThrow(
      'environment "prod" is still promoted to from environments staging; change them first',
    );
    store.targets.delete('web');
    expect(store.environments.delete('dev')).toBe(true);
  });
});

describe('targets', () => {
  it('keeps the environments in the order given and replaces them on put', () => {
    chain(store);
    const web = store.targets.put({
      name: 'web',
      repo: 'apps',
      path: 'apps/web',
      environments: ['prod', 'dev', 'staging'],
      options: { selfHeal: false, ignore: [{ jsonPointers: ['/spec/replicas'] }] },
    });
    expect(store.targets.get('web')).toStrictEqual(web);
    expect(web.environments).toEqual(['prod', 'dev', 'staging']);
    store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web2', environments: ['dev'] });
    store.targets.put({ name: 'api', repo: 'apps', path: 'apps/api', environments: ['staging', 'prod'] });
    expect(store.targets.list()).toStrictEqual([
      { name: 'api', repo: 'apps', path: 'apps/api', environments: ['staging', 'prod'], options: {} },
      { name: 'web', repo: 'apps', path: 'apps/web2', environments: ['dev'], options: {} },
    ]);
  });

  it('names missing references and refuses a repeated environment', () => {
    chain(store);
    expect(() => store.targets.put({ name: 'web', repo: 'nope', path: '.', environments: [] })).toThrow(
      new StoreReferenceError('target "web" is in repo "nope", which does not exist'),
    );
    expect(() =>
      store.targets.put({ name: 'web', repo: 'apps', path: '.', environments: ['dev', 'qa', 'uat'] }),
    ).toThrow('target "web" names environments that do not exist: qa, uat');
    expect(() => store.targets.put({ name: 'web', repo: 'apps', path: '.', environments: ['dev', 'dev'] })).toThrow(
      new StoreInvalidError('target "web" lists environment "dev" twice'),
    );
    expect(store.targets.get('web')).toBeUndefined();
  });

  it('deletes', () => {
    chain(store);
    store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web', environments: ['dev'] });
    expect(store.targets.delete('web')).toBe(true);
    expect(store.targets.delete('web')).toBe(false);
    expect(store.targets.list()).toEqual([]);
  });
});

describe('transaction', () => {
  it('commits all or nothing', () => {
    expect(() =>
      store.transaction(() => {
        store.repos.put(REPO);
        store.groups.put({ name: 'prod', selector: 'env=prod' });
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(store.repos.list()).toEqual([]);
    expect(store.groups.list()).toEqual([]);

    const n = store.transaction(() => {
      chain(store);
      return store.environments.list().length;
    });
    expect(n).toBe(3);
    expect(store.environments.list()).toHaveLength(3);
  });

  it('rolls back a failed inner step only when the caller catches it', () => {
    store.transaction(() => {
      store.repos.put(REPO);
      expect(() => store.environments.put({ name: 'dev', repo: 'nope', branch: 'dev' })).toThrow(StoreReferenceError);
      store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev' });
    });
    expect(store.environments.list().map((e) => e.name)).toEqual(['dev']);
  });
});
