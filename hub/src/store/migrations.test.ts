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

  it('spells out exactly BUNDLE_STATES in the deployments.state CHECK', () => {
    open().close();
    const db = raw();
    const sql = db
      .prepare<[], string>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'deployments'")
      .pluck()
      .get();
    db.close();
    const list = /CHECK \(state IN \(([^)]*)\)\)/.exec(sql ?? '')?.[1] ?? '';
    const states = list.split(',').map((s) => s.trim().replace(/^'|'$/g, ''));
    // When this fails, BUNDLE_STATES changed: add a migration that rebuilds deployments with the new list.
    expect(states).toEqual([...BUNDLE_STATES]);
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
