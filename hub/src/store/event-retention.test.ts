import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, parseOptions } from './db.js';
import { MIGRATIONS, openStore, RetentionSweeper, type EventCount, type EventKind, type Store } from './index.js';
import { migrate } from './migrations.js';
import { useTempStore } from './testing.js';

const t = useTempStore();
const DAY = 86_400_000;
const ids = (s: Store = t.store) => s.events.list({ limit: 10_000 }).map((e) => e.id);

/** A day of history: `n` events, the clock moved a day after. */
function day(n: number, kind: EventKind = 'CommitSeen'): void {
  for (let i = 0; i < n; i++) t.store.events.append({ kind, repo: 'apps', payload: { branch: 'main' } });
  t.clock += DAY;
}

/** A sweeper on the test's clock, whose pauses take no time, counting its steps. */
function sweeper(policy: { maxAgeDays: number; maxEvents: number }, batch = 4) {
  let pauses = 0;
  const s = new RetentionSweeper({
    events: t.store.events,
    policy,
    batch,
    now: () => new Date(t.clock),
    sleep: async () => {
      pauses++;
    },
  });
  return { s, pauses: () => pauses };
}

describe('event retention', () => {
  it('removes events older than the age limit, oldest first, in steps of at most a batch', async () => {
    day(6); // ids 1-6, day 0
    day(3); // ids 7-9, day 1
    day(2); // ids 10-11, day 2
    const { s, pauses } = sweeper({ maxAgeDays: 1, maxEvents: 0 });
    // Now is day 3: older than one day is days 0 and 1.
    expect(await s.sweep()).toBe(9);
    expect(ids()).toEqual([10, 11]);
    expect(t.store.events.sweptThrough()).toBe(9);
    // 9 events in steps of 4: 4, 4, 1; a pause after each full step.
    expect(pauses()).toBe(2);
    expect(await s.sweep()).toBe(0);
  });

  it('keeps the newest events up to the count limit', async () => {
    day(10);
    const { s } = sweeper({ maxAgeDays: 0, maxEvents: 3 });
    expect(await s.sweep()).toBe(7);
    expect(ids()).toEqual([8, 9, 10]);
    day(2);
    expect(await s.sweep()).toBe(2);
    expect(ids()).toEqual([10, 11, 12]);
  });

  it('sweeps in id order: an age sweep stops at the first young event, even when an older one follows', async () => {
    day(2); // 1-2 at day 0
    t.clock -= 3 * DAY;
    day(1); // 3 at day -2: a clock set back
    t.clock += 10 * DAY; // day 9
    const { s } = sweeper({ maxAgeDays: 8, maxEvents: 0 });
    expect(await s.sweep()).toBe(3);
    day(1); // 4 at day 9
    t.clock -= 5 * DAY;
    day(1); // 5 at day 5: older than 4
    t.clock += 10 * DAY; // day 16: the cut-off is day 7
    const { s: again } = sweeper({ maxAgeDays: 9, maxEvents: 0 });
    // 5 is old enough, but 4 before it is not: what is kept is always every id after the mark.
    expect(await again.sweep()).toBe(0);
    expect(ids()).toEqual([4, 5]);
  });

  it('never reuses an id, even after every event was swept: a stream resuming after an id misses nothing', async () => {
    day(5);
    const { s } = sweeper({ maxAgeDays: 0, maxEvents: 1 });
    await s.sweep();
    expect(ids()).toEqual([5]);
    t.clock += 2 * DAY;
    const { s: all } = sweeper({ maxAgeDays: 1, maxEvents: 0 });
    await all.sweep();
    expect(ids()).toEqual([]);
    t.store.events.append({ kind: 'Rollback', environment: 'prod' });
    expect(ids()).toEqual([6]);
    expect(t.store.events.list({ afterId: 2 }).map((e) => e.id)).toEqual([6]);
  });

  it('finishes a step cut short: events under the mark go first', () => {
    day(6);
    t.store.close();
    // As if the hub stopped between raising the mark and deleting: the mark says 4, nothing is gone.
    const db = new Database(t.path);
    db.prepare('UPDATE event_retention SET swept_through = 4').run();
    db.close();
    t.store = openStore(t.path, { now: () => new Date(t.clock) });
    expect(t.store.events.sweepStep({ batch: 3 })).toEqual({ deleted: 3, sweptThrough: 4, more: true });
    expect(t.store.events.sweepStep({ batch: 3 })).toEqual({ deleted: 1, sweptThrough: 4, more: true });
    expect(t.store.events.sweepStep({ batch: 3 })).toEqual({ deleted: 0, sweptThrough: 4, more: false });
    expect(ids()).toEqual([5, 6]);
  });

  it('keeps the append-only guard for everything but the sweep: a DELETE past the mark, an UPDATE, or moving the mark back are refused', async () => {
    day(4);
    await sweeper({ maxAgeDays: 0, maxEvents: 2 }).s.sweep();
    t.store.close();
    const db = new Database(t.path);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow('events are append-only');
    expect(() => db.prepare('DELETE FROM events WHERE id = 4').run()).toThrow('events are append-only');
    expect(() => db.prepare("UPDATE events SET kind = 'Promotion'").run()).toThrow('events are append-only');
    expect(() => db.prepare('UPDATE event_retention SET swept_through = 1').run()).toThrow(
      'event retention only moves forward',
    );
    expect(() => db.prepare('DELETE FROM event_retention').run()).toThrow('event retention only moves forward');
    expect(() => db.prepare('INSERT INTO event_retention (id, swept_through) VALUES (2, 99)').run()).toThrow(
      /CHECK constraint failed/,
    );
    expect(db.prepare('SELECT id FROM events ORDER BY id').pluck().all()).toEqual([3, 4]);
    db.close();
    t.store = openStore(t.path);
  });

  it('keeps the metrics’ running totals across a sweep', async () => {
    const slot = { cluster: 'c1', target: 'web', environment: 'prod' };
    t.store.events.append({ kind: 'CommitSeen', repo: 'apps', payload: { branch: 'main', commit: 'a' } });
    t.store.events.append({ kind: 'Applied', ...slot, payload: { state: 'Ready', durationMs: 10 } });
    t.store.events.append({ kind: 'Applied', ...slot, payload: { state: 'ErrApplied' } });
    t.store.events.append({ kind: 'Rollback', environment: 'prod' });
    t.store.events.append({ kind: 'Promotion', environment: 'prod' });
    t.store.events.append({ kind: 'DriftDetected', ...slot, payload: { object: 'ConfigMap/a' } });
    // A coalesced report standing for 5 more, 3 of them detections.
    t.store.events.append({
      kind: 'DriftCorrected',
      ...slot,
      payload: { object: 'ConfigMap/a', suppressed: { reports: 5, detected: 3 } },
    });
    t.store.events.append({ kind: 'DriftCorrected', ...slot, payload: { object: 'ConfigMap/a' } });
    const counts = (): Partial<EventCount>[] =>
      t.store.events.counts().map(({ counter, environment, repo, branch, result, count }) => ({
        counter,
        ...(environment ? { environment } : {}),
        ...(repo ? { repo, branch } : {}),
        ...(result ? { result } : {}),
        count,
      }));
    const before = counts();
    expect(before).toEqual([
      { counter: 'commits', repo: 'apps', branch: 'main', count: 1 },
      { counter: 'driftIncidents', environment: 'prod', count: 4 },
      { counter: 'promotions', environment: 'prod', count: 1 },
      { counter: 'rollbacks', environment: 'prod', count: 1 },
      { counter: 'rollouts', environment: 'prod', result: 'failed', count: 1 },
      { counter: 'rollouts', environment: 'prod', result: 'succeeded', count: 1 },
    ]);
    t.clock += 40 * DAY;
    expect(await sweeper({ maxAgeDays: 30, maxEvents: 0 }).s.sweep()).toBe(8);
    expect(ids()).toEqual([]);
    expect(counts()).toEqual(before);
    t.store.events.append({ kind: 'Rollback', environment: 'prod' });
    expect(counts()).toContainEqual({ counter: 'rollbacks', environment: 'prod', count: 2 });
  });

  it('stops between steps when asked, and sweeps again every interval', async () => {
    day(3);
    let wakes = 0;
    const s = new RetentionSweeper({
      events: t.store.events,
      policy: { maxAgeDays: 0, maxEvents: 1 },
      batch: 1,
      now: () => new Date(t.clock),
      intervalMs: 1000,
      // An interval that passes at once, until the third: then only stop() ends the wait.
      sleep: (ms) => (ms === 1000 && ++wakes >= 3 ? new Promise(() => undefined) : Promise.resolve()),
    });
    s.start();
    await expect.poll(() => wakes).toBe(3);
    expect(ids()).toEqual([3]);
    await s.stop();
  });

  it('migration 8 seeds the running totals from the events a store already holds', () => {
    const path = join(t.dir, 'v7.db');
    const old = openDatabase(path, parseOptions());
    migrate(old, path, () => new Date('2025-03-01T00:00:00Z'), MIGRATIONS.slice(0, 7));
    const insert = old.prepare('INSERT INTO events (at, kind, repo, environment, payload) VALUES (?, ?, ?, ?, ?)');
    insert.run('t', 'CommitSeen', 'apps', null, '{"branch":"main"}');
    insert.run('t', 'CommitSeen', 'apps', null, '{"branch":"main"}');
    insert.run('t', 'Applied', null, 'prod', '{"state":"Ready"}');
    insert.run('t', 'Applied', null, 'prod', '{"state":"ErrApplied"}');
    insert.run('t', 'DriftDetected', null, 'prod', '{"object":"ConfigMap/a"}');
    insert.run('t', 'DriftCorrected', null, 'prod', '{"object":"ConfigMap/a"}');
    insert.run('t', 'BundleRendered', null, 'prod', '{}');
    old.close();
    const store = openStore(path);
    try {
      expect(store.events.counts().map((c) => [c.counter, c.environment || c.branch, c.result, c.count])).toEqual([
        ['commits', 'main', '', 2],
        ['driftIncidents', 'prod', '', 1],
        ['rollouts', 'prod', 'failed', 1],
        ['rollouts', 'prod', 'succeeded', 1],
      ]);
      expect(store.events.sweptThrough()).toBe(0);
    } finally {
      store.close();
    }
  });
});
