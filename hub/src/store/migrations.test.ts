import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BUNDLE_STATES } from '@flotilla/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  latestVersion,
  MIGRATIONS,
  openStore,
  StoreOpenError,
  StoreSchemaMismatchError,
  StoreSchemaTooNewError,
  type Store,
} from './index.js';
import { openDatabase, parseOptions } from './db.js';
import { migrate } from './migrations.js';
import { thrown, useTempDir } from './testing.js';

const tmp = useTempDir();
let stores: Store[];
beforeEach(() => {
  stores = [];
});
afterEach(() => {
  for (const s of stores) s.close();
});
function open(file = 'hub.db', opts?: Parameters<typeof openStore>[1]): Store {
  const s = openStore(join(tmp.dir, file), opts);
  stores.push(s);
  return s;
}
function raw(file = 'hub.db'): Database.Database {
  return new Database(join(tmp.dir, file));
}

describe('migrations', () => {
  it('versions are 1, 2, 3... in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('creates every table from an empty file and records each migration', () => {
    const store = open('hub.db', { now: () => new Date('2025-03-01T00:00:00Z') });
    expect(store.schemaVersion()).toBe(latestVersion());
    store.close();
    const db = raw();
    const tables = db
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(
      expect.arrayContaining([
        'bundles',
        'clusters',
        'deployments',
        'environments',
        'events',
        'groups',
        'repo_branches',
        'repos',
        'schema_migrations',
        'target_environments',
        'targets',
      ]),
    );
    expect(db.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: '2025-03-01T00:00:00.000Z' })),
    );
    db.close();
  });

  it('reopening is idempotent: no migration runs twice and data stays', () => {
    const first = open('hub.db', { now: () => new Date('2025-03-01T00:00:00Z') });
    first.groups.put({ name: 'prod', selector: 'env=prod' });
    first.close();
    const second = open('hub.db', { now: () => new Date('2025-04-01T00:00:00Z') });
    expect(second.schemaVersion()).toBe(latestVersion());
    expect(second.groups.list()).toEqual([{ name: 'prod', selector: 'env=prod' }]);
    second.close();
    const db = raw();
    const applied = db.prepare<[], string>('SELECT applied_at FROM schema_migrations').pluck().all();
    expect(applied).toEqual(MIGRATIONS.map(() => '2025-03-01T00:00:00.000Z'));
    db.close();
  });

  it('refuses a store migrated by a newer Flotilla, saying so', () => {
    open().close();
    const db = raw();
    db.prepare("INSERT INTO schema_migrations VALUES (?, 'from-the-future', '2030-01-01T00:00:00Z')").run(
      latestVersion() + 1,
    );
    db.close();
    const path = join(tmp.dir, 'hub.db');
    expect(() => openStore(path)).toThrow(StoreSchemaTooNewError);
    expect(() => openStore(path)).toThrow(
      `store ${path} is at schema version ${latestVersion() + 1}, newer than this Flotilla knows (up to ${latestVersion()})`,
    );
    expect(thrown(() => openStore(path))).toMatchObject({ code: 'STORE_SCHEMA_TOO_NEW' });
  });

  it('refuses a store whose applied migration differs from ours under the same version', () => {
    open().close();
    const db = raw();
    db.prepare("UPDATE schema_migrations SET name = 'someone-elses' WHERE version = 1").run();
    db.close();
    expect(() => openStore(join(tmp.dir, 'hub.db'))).toThrow(StoreSchemaMismatchError);
  });

  it('sets WAL, foreign keys, busy timeout and the synchronous level on the connection', () => {
    const normal = openDatabase(join(tmp.dir, 'normal.db'), parseOptions({ busyTimeoutMs: 1234 }));
    expect(normal.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(normal.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(normal.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(normal.pragma('busy_timeout', { simple: true })).toBe(1234);
    normal.close();
    const full = openDatabase(join(tmp.dir, 'full.db'), parseOptions({ synchronous: 'FULL' }));
    expect(full.pragma('synchronous', { simple: true })).toBe(2);
    full.close();
    expect(() => parseOptions({ busyTimeoutMs: -1 })).toThrow(StoreOpenError);
  });

  it('spells out exactly BUNDLE_STATES in the deployment_status.state CHECK', () => {
    open().close();
    const db = raw();
    const sql = db
      .prepare<[], string>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'deployment_status'")
      .pluck()
      .get();
    db.close();
    const check = /CHECK \((state = '[^)]*)\)/.exec(sql ?? '')?.[1] ?? '';
    const states = [...check.matchAll(/state = '(\w+)'/g)].map((m) => m[1]);
    // When this fails, BUNDLE_STATES changed: add a migration that rebuilds deployment_status with the new list.
    expect(states).toEqual([...BUNDLE_STATES]);
  });

  it("version 6 carries each deployment's reported state into deployment_status, and deletes cascade to it", () => {
    const path = join(tmp.dir, 'v5.db');
    const old = openDatabase(path, parseOptions());
    migrate(old, path, () => new Date('2025-03-01T00:00:00Z'), MIGRATIONS.slice(0, 5));
    const digest = 'a'.repeat(64);
    old.exec(`
      INSERT INTO clusters (id, name, created_at) VALUES ('c1', 'one', 't'), ('c2', 'two', 't');
      INSERT INTO repos (name, url, poll_interval_seconds) VALUES ('r', 'http://git/r', 60);
      INSERT INTO environments (name, repo, branch) VALUES ('prod', 'r', 'main');
      INSERT INTO targets (name, repo, path) VALUES ('web', 'r', 'web');
      INSERT INTO bundles (digest, size, object_count, created_at, encoding, content)
        VALUES ('${digest}', 0, 0, 't', 'identity', x'');
      INSERT INTO deployments (cluster, target, environment, bundle_digest, options, revision, generation, state,
          message, updated_at, generation_at, settled_at)
        VALUES ('one', 'web', 'prod', '${digest}', '{"prune":true}', 'rev1', 3, 'Ready', 'all good',
          '2025-02-01T00:00:03.000Z', '2025-02-01T00:00:01.000Z', '2025-02-01T00:00:02.000Z'),
               ('two', 'web', 'prod', '${digest}', '{}', NULL, 1, 'ErrApplied', 'apply failed: x',
          '2025-02-01T00:00:04.000Z', '2025-02-01T00:00:00.000Z', NULL);
    `);
    old.close();
    const store = open('v5.db');
    expect(store.schemaVersion()).toBe(latestVersion());
    expect(store.deployments.list()).toStrictEqual([
      {
        cluster: 'one',
        target: 'web',
        environment: 'prod',
        bundle: digest,
        options: { prune: true },
        revision: 'rev1',
        generation: 3,
        state: 'Ready',
        message: 'all good',
        updatedAt: '2025-02-01T00:00:03.000Z',
        generationAt: '2025-02-01T00:00:01.000Z',
        settledAt: '2025-02-01T00:00:02.000Z',
      },
      {
        cluster: 'two',
        target: 'web',
        environment: 'prod',
        bundle: digest,
        options: {},
        generation: 1,
        state: 'ErrApplied',
        message: 'apply failed: x',
        updatedAt: '2025-02-01T00:00:04.000Z',
        generationAt: '2025-02-01T00:00:00.000Z',
      },
    ]);
    // A report for the generation carried over is recorded against the new table.
    expect(
      store.deployments.recordStatus({
        cluster: 'two',
        target: 'web',
        environment: 'prod',
        generation: 1,
        state: 'Ready',
      }),
    ).toMatchObject({ recorded: true, settled: { state: 'Ready' } });
    store.clusters.delete('one');
    expect(store.deployments.list().map((d) => d.cluster)).toEqual(['two']);
    const db = raw('v5.db');
    expect(db.prepare('SELECT cluster FROM deployment_status').pluck().all()).toEqual(['two']);
    const columns = db.prepare<[], string>("SELECT name FROM pragma_table_info('deployments')").pluck().all();
    expect(columns).not.toContain('state');
    db.close();
  });

  it('version 7 adds per-object health: a deployment carried over knows no objects until its next report', () => {
    const path = join(tmp.dir, 'v6.db');
    const old = openDatabase(path, parseOptions());
    migrate(old, path, () => new Date('2025-03-01T00:00:00Z'), MIGRATIONS.slice(0, 6));
    const digest = 'b'.repeat(64);
    old.exec(`
      INSERT INTO clusters (id, name, created_at) VALUES ('c1', 'one', 't');
      INSERT INTO repos (name, url, poll_interval_seconds) VALUES ('r', 'http://git/r', 60);
      INSERT INTO environments (name, repo, branch) VALUES ('prod', 'r', 'main');
      INSERT INTO targets (name, repo, path) VALUES ('web', 'r', 'web');
      INSERT INTO bundles (digest, size, object_count, created_at, encoding, content)
        VALUES ('${digest}', 0, 0, 't', 'identity', x'');
      INSERT INTO deployments (cluster, target, environment, bundle_digest, options, revision, generation, generation_at)
        VALUES ('one', 'web', 'prod', '${digest}', '{}', NULL, 2, '2025-02-01T00:00:00.000Z');
      INSERT INTO deployment_status (cluster, target, environment, generation, state, message, updated_at, settled_at)
        VALUES ('one', 'web', 'prod', 2, 'NotReady', 'Deployment/shop/web: Available: 0/3', '2025-02-01T00:00:05.000Z', NULL);
    `);
    old.close();
    const store = open('v6.db');
    const key = { cluster: 'one', target: 'web', environment: 'prod' };
    expect(store.deployments.get(key)).toMatchObject({ state: 'NotReady', generation: 2 });
    expect(store.deployments.get(key)?.objects).toBeUndefined();
    store.deployments.recordStatus({
      ...key,
      generation: 2,
      state: 'Ready',
      objects: { total: 3, ready: 3, notReady: [] },
    });
    expect(store.deployments.get(key)?.objects).toStrictEqual({ total: 3, ready: 3, notReady: [] });
  });

  it('version 13 names orphan marks by deployment: the marks of version 12 carry over, and their cascade', () => {
    const path = join(tmp.dir, 'v12.db');
    const old = openDatabase(path, parseOptions());
    migrate(old, path, () => new Date('2025-03-01T00:00:00Z'), MIGRATIONS.slice(0, 12));
    old.exec(`
      INSERT INTO clusters (id, name, created_at) VALUES ('c1', 'one', 't'), ('c2', 'two', 't');
      INSERT INTO orphaned_bundles (cluster, bundle_id, requested_at)
        VALUES ('one', 'prod/web', '2025-02-01T00:00:00.000Z'), ('two', 'dev/db', '2025-02-02T00:00:00.000Z');
    `);
    old.close();
    const store = open('v12.db');
    expect(store.schemaVersion()).toBe(latestVersion());
    expect(store.orphans.list()).toStrictEqual([
      { cluster: 'one', deployment: 'prod/web', requestedAt: '2025-02-01T00:00:00.000Z' },
      { cluster: 'two', deployment: 'dev/db', requestedAt: '2025-02-02T00:00:00.000Z' },
    ]);
    // The primary key still makes a mark unique per (cluster, deployment): marking again moves its time.
    store.orphans.add('one', 'prod/web');
    expect(store.orphans.list('one')).toHaveLength(1);
    expect(store.orphans.delete('two', 'dev/db')).toBe(true);
    // The foreign key still cascades from the cluster.
    store.clusters.delete('one');
    expect(store.orphans.list()).toEqual([]);
    const db = raw('v12.db');
    const tables = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toContain('orphaned_deployments');
    expect(tables).not.toContain('orphaned_bundles');
    const columns = db.prepare<[], string>("SELECT name FROM pragma_table_info('orphaned_deployments')").pluck().all();
    expect(columns).toEqual(['cluster', 'deployment', 'requested_at']);
    db.close();
  });

  it('names the path when the file cannot be used', () => {
    expect(() => openStore(join(tmp.dir, 'missing-dir', 'hub.db'))).toThrow(StoreOpenError);
    const junk = join(tmp.dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    expect(() => openStore(junk)).toThrow(
      new RegExp(`cannot open store ${junk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});
