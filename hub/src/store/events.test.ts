import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { eventFromRow, eventToRow } from './events.js';
import { openStore, StoreInvalidError, type EventKind, type Store } from './index.js';
import { useTempStore } from './testing.js';

const t = useTempStore();

describe('events', () => {
  it('maps rows both ways', () => {
    const event = { kind: 'Promotion' as const, environment: 'prod', actor: 'alice', payload: { from: 'staging' } };
    expect(eventFromRow({ id: 7, ...eventToRow(event, '2025-01-01T00:00:00.000Z') })).toStrictEqual({
      id: 7,
      at: '2025-01-01T00:00:00.000Z',
      ...event,
    });
  });

  it('appends with increasing ids and timestamps from the clock, and lists oldest first', () => {
    const a = t.store.events.append({ kind: 'CommitSeen', repo: 'apps', payload: { branch: 'dev', commit: 'c1' } });
    t.clock += 1000;
    const b = t.store.events.append({ kind: 'BundleRendered', target: 'web', bundle: 'd1' });
    t.clock += 1000;
    const c = t.store.events.append({ kind: 'Applied', cluster: 'c1', target: 'web' });
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect(a).toStrictEqual({
      id: 1,
      at: '2025-01-01T00:00:00.000Z',
      kind: 'CommitSeen',
      repo: 'apps',
      payload: { branch: 'dev', commit: 'c1' },
    });
    expect(b.payload).toEqual({});
    expect(t.store.events.list()).toStrictEqual([a, b, c]);
    expect(t.store.events.lastId()).toBe(3);
  });

  it('resumes after an id, filters by subject and kind, and takes the newest', () => {
    const kinds: EventKind[] = ['CommitSeen', 'Applied', 'DriftDetected', 'Applied', 'DriftCorrected', 'Applied'];
    kinds.forEach((kind, i) => t.store.events.append({ kind, cluster: i % 2 === 0 ? 'c1' : 'c2' }));
    const ids = (filter: Parameters<Store['events']['list']>[0]) => t.store.events.list(filter).map((e) => e.id);
    expect(ids({ afterId: 4 })).toEqual([5, 6]);
    expect(ids({ kind: 'Applied' })).toEqual([2, 4, 6]);
    expect(ids({ cluster: 'c1' })).toEqual([1, 3, 5]);
    expect(ids({ cluster: 'c2', kind: 'Applied', afterId: 2 })).toEqual([4, 6]);
    expect(ids({ limit: 2 })).toEqual([1, 2]);
    expect(ids({ limit: 2, newest: true })).toEqual([5, 6]);
    expect(ids({ beforeId: 5, limit: 2, newest: true })).toEqual([3, 4]);
    expect(ids({ afterId: 1, beforeId: 4 })).toEqual([2, 3]);
    expect(ids({ cluster: 'c1', newest: true, limit: 2 })).toEqual([3, 5]);
    expect(() => t.store.events.list({ limit: 0 })).toThrow(StoreInvalidError);
  });

  it('refuses an unknown kind', () => {
    expect(() => t.store.events.append({ kind: 'Nope' as EventKind })).toThrow(
      new StoreInvalidError('"Nope" is not an event kind'),
    );
  });

  it('is append-only down to the schema: UPDATE and DELETE are refused', () => {
    t.store.events.append({ kind: 'Rollback', environment: 'prod' });
    // No update or delete of its own: only the retention sweep removes events (event-retention.test.ts).
    expect(Object.keys(t.store.events)).toEqual([
      'append',
      'list',
      'lastId',
      'counts',
      'driftNeighbor',
      'sweptThrough',
      'sweepStep',
    ]);
    t.store.close();
    const db = new Database(t.path);
    expect(() => db.prepare("UPDATE events SET kind = 'Promotion'").run()).toThrow('events are append-only');
    expect(() => db.prepare('DELETE FROM events').run()).toThrow('events are append-only');
    db.close();
    t.store = openStore(t.path);
    expect(t.store.events.list().map((e) => e.kind)).toEqual(['Rollback']);
  });

  it('leaves no trace of an append rolled back with its transaction', () => {
    t.store.events.append({ kind: 'CommitSeen' });
    expect(() =>
      t.store.transaction(() => {
        t.store.events.append({ kind: 'CommitSeen', repo: 'rolled-back' });
        throw new Error('abort');
      }),
    ).toThrow('abort');
    const next = t.store.events.append({ kind: 'CommitSeen' });
    expect(t.store.events.list().map((e) => [e.id, e.repo])).toEqual([
      [1, undefined],
      [next.id, undefined],
    ]);
  });
});
