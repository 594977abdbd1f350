import { describe, expect, it } from 'vitest';
import { environmentFromRow, environmentToRow } from './config.js';
import { StoreConflictError, StoreInvalidError, StoreNotFoundError, StoreReferenceError, type Store } from './index.js';
import { repoFromRow, repoToRow } from './repos.js';
import { thrown, useTempStore } from './testing.js';

const t = useTempStore();

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
    t.store.groups.put({ name: 'prod', selector: 'env=prod' });
    t.store.groups.put({ name: 'eu', selector: 'region=eu' });
    t.store.groups.put({ name: 'prod', selector: 'env=prod,tier=1' });
    expect(t.store.groups.get('prod')).toEqual({ name: 'prod', selector: 'env=prod,tier=1' });
    expect(t.store.groups.list().map((g) => g.name)).toEqual(['eu', 'prod']);
    expect(t.store.groups.delete('eu')).toBe(true);
    expect(t.store.groups.delete('eu')).toBe(false);
  });

  it('cannot be deleted while an environment deploys to it', () => {
    chain(t.store);
    expect(() => t.store.groups.delete('prod')).toThrow(
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
    t.store.repos.put({ ...REPO, auth: { secret: 'git-creds' } });
    t.store.repos.put({ ...REPO, pollIntervalSeconds: 30 });
    expect(t.store.repos.get('apps')).toStrictEqual({ ...REPO, pollIntervalSeconds: 30 });
    expect(t.store.repos.list()).toHaveLength(1);
    expect(t.store.repos.delete('apps')).toBe(true);
    expect(t.store.repos.get('apps')).toBeUndefined();
  });

  it('refuses a poll interval that is not positive', () => {
    expect(thrown(() => t.store.repos.put({ ...REPO, pollIntervalSeconds: 0 }))).toMatchObject({
      code: 'STORE_INVALID',
      message: expect.stringContaining('repo "apps"'),
    });
  });

  it('records fetches per branch, keeping the last good commit across an error', () => {
    t.store.repos.put(REPO);
    t.store.repos.recordFetched('apps', 'main', 'c1');
    t.clock += 1000;
    const failed = t.store.repos.recordFetchError('apps', 'main', 'HTTP 503');
    expect(failed).toStrictEqual({
      repo: 'apps',
      branch: 'main',
      commit: 'c1',
      fetchedAt: '2025-01-01T00:00:00.000Z',
      error: 'HTTP 503',
      errorAt: '2025-01-01T00:00:01.000Z',
    });
    t.clock += 1000;
    expect(t.store.repos.recordFetched('apps', 'main', 'c2')).toStrictEqual({
      repo: 'apps',
      branch: 'main',
      commit: 'c2',
      fetchedAt: '2025-01-01T00:00:02.000Z',
    });
    t.store.repos.recordFetchError('apps', 'dev', 'not found');
    expect(t.store.repos.listBranches('apps').map((b) => [b.branch, b.commit])).toEqual([
      ['dev', undefined],
      ['main', 'c2'],
    ]);
    expect(() => t.store.repos.recordFetched('ghost', 'main', 'c')).toThrow(
      new StoreNotFoundError('repo "ghost" does not exist'),
    );
  });

  it('records whether the remote answered on the repo itself, which put() keeps (issue #29, item 4)', () => {
    t.store.repos.put(REPO);
    t.clock += 1000;
    expect(t.store.repos.recordRemote('apps', 'HTTP 503')).toStrictEqual({
      ...REPO,
      error: 'HTTP 503',
      errorAt: '2025-01-01T00:00:01.000Z',
    });
    t.store.repos.put({ ...REPO, renderHosts: ['charts.example'] });
    expect(t.store.repos.get('apps')?.error).toBe('HTTP 503');
    t.clock += 1000;
    expect(t.store.repos.recordRemote('apps')).toStrictEqual({
      ...REPO,
      renderHosts: ['charts.example'],
      reachedAt: '2025-01-01T00:00:02.000Z',
    });
    expect(() => t.store.repos.recordRemote('ghost')).toThrow(new StoreNotFoundError('repo "ghost" does not exist'));
  });

  it('cannot be deleted while environments or targets use it; its branches go with it', () => {
    chain(t.store);
    t.store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web', environments: ['dev'] });
    expect(() => t.store.repos.delete('apps')).toThrow(
      'repo "apps" is still used by environment "dev", environment "prod", environment "staging", target "web"',
    );
    t.store.repos.put({ ...REPO, name: 'lonely' });
    t.store.repos.recordFetched('lonely', 'main', 'c1');
    expect(t.store.repos.delete('lonely')).toBe(true);
    expect(t.store.repos.listBranches('lonely')).toEqual([]);
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
    chain(t.store);
    expect(t.store.environments.get('dev')).toStrictEqual({
      name: 'dev',
      repo: 'apps',
      branch: 'dev',
      selector: 'env=dev',
      promotesTo: 'staging',
    });
    expect(t.store.environments.list().map((e) => e.name)).toEqual(['dev', 'prod', 'staging']);
  });

  it('names the missing repo, group or next environment', () => {
    t.store.repos.put(REPO);
    expect(() => t.store.environments.put({ name: 'dev', repo: 'other', branch: 'dev' })).toThrow(
      new StoreReferenceError('environment "dev" follows repo "other", which does not exist'),
    );
    expect(() => t.store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev', group: 'g' })).toThrow(
      'environment "dev" deploys to group "g", which does not exist',
    );
    expect(
      thrown(() => t.store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev', promotesTo: 'qa' })),
    ).toMatchObject({
      code: 'STORE_REFERENCE',
      message: 'environment "dev" promotes to environment "qa", which does not exist',
    });
  });

  it('refuses a promotion cycle', () => {
    chain(t.store);
    expect(() => t.store.environments.put({ name: 'prod', repo: 'apps', branch: 'prod', promotesTo: 'dev' })).toThrow(
      new StoreInvalidError('environment "prod" would make the promotion chain a cycle: prod → dev → staging → prod'),
    );
    expect(() => t.store.environments.put({ name: 'prod', repo: 'apps', branch: 'prod', promotesTo: 'prod' })).toThrow(
      StoreInvalidError,
    );
  });

  it('cannot be deleted while a target or another environment names it', () => {
    chain(t.store);
    t.store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web', environments: ['dev'] });
    expect(() => t.store.environments.delete('dev')).toThrow(
      new StoreConflictError('environment "dev" is still used by targets web; remove it from them first'),
    );
    expect(() => t.store.environments.delete('prod')).toThrow(
      'environment "prod" is still promoted to from environments staging; change them first',
    );
    t.store.targets.delete('web');
    expect(t.store.environments.delete('dev')).toBe(true);
  });
});

describe('targets', () => {
  it('keeps the environments in the order given and replaces them on put', () => {
    chain(t.store);
    const web = t.store.targets.put({
      name: 'web',
      repo: 'apps',
      path: 'apps/web',
      environments: ['prod', 'dev', 'staging'],
      options: { selfHeal: false, ignore: [{ jsonPointers: ['/spec/replicas'] }] },
    });
    expect(t.store.targets.get('web')).toStrictEqual(web);
    expect(web.environments).toEqual(['prod', 'dev', 'staging']);
    t.store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web2', environments: ['dev'] });
    t.store.targets.put({ name: 'api', repo: 'apps', path: 'apps/api', environments: ['staging', 'prod'] });
    expect(t.store.targets.list()).toStrictEqual([
      { name: 'api', repo: 'apps', path: 'apps/api', environments: ['staging', 'prod'], options: {} },
      { name: 'web', repo: 'apps', path: 'apps/web2', environments: ['dev'], options: {} },
    ]);
  });

  it('names missing references and refuses a repeated environment', () => {
    chain(t.store);
    expect(() => t.store.targets.put({ name: 'web', repo: 'nope', path: '.', environments: [] })).toThrow(
      new StoreReferenceError('target "web" is in repo "nope", which does not exist'),
    );
    expect(() =>
      t.store.targets.put({ name: 'web', repo: 'apps', path: '.', environments: ['dev', 'qa', 'uat'] }),
    ).toThrow('target "web" names environments that do not exist: qa, uat');
    expect(() => t.store.targets.put({ name: 'web', repo: 'apps', path: '.', environments: ['dev', 'dev'] })).toThrow(
      new StoreInvalidError('target "web" lists environment "dev" twice'),
    );
    expect(t.store.targets.get('web')).toBeUndefined();
  });

  it('deletes', () => {
    chain(t.store);
    t.store.targets.put({ name: 'web', repo: 'apps', path: 'apps/web', environments: ['dev'] });
    expect(t.store.targets.delete('web')).toBe(true);
    expect(t.store.targets.delete('web')).toBe(false);
    expect(t.store.targets.list()).toEqual([]);
  });
});

describe('transaction', () => {
  it('commits all or nothing', () => {
    expect(() =>
      t.store.transaction(() => {
        t.store.repos.put(REPO);
        t.store.groups.put({ name: 'prod', selector: 'env=prod' });
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(t.store.repos.list()).toEqual([]);
    expect(t.store.groups.list()).toEqual([]);

    const n = t.store.transaction(() => {
      chain(t.store);
      return t.store.environments.list().length;
    });
    expect(n).toBe(3);
    expect(t.store.environments.list()).toHaveLength(3);
  });

  it('rolls back a failed inner step only when the caller catches it', () => {
    t.store.transaction(() => {
      t.store.repos.put(REPO);
      expect(() => t.store.environments.put({ name: 'dev', repo: 'nope', branch: 'dev' })).toThrow(StoreReferenceError);
      t.store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev' });
    });
    expect(t.store.environments.list().map((e) => e.name)).toEqual(['dev']);
  });
});
