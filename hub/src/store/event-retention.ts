import { inTransaction, type Db } from './db.js';
import { StoreInvalidError } from './errors.js';

/** What one step of the sweep may remove: events older than `before`, and all but the newest `keepNewest`. */
export interface SweepLimits {
  /** ISO 8601: events appended before this time go. Absent: no age limit. */
  before?: string;
  /** Keep the newest this many event ids. Absent: no count limit. */
  keepNewest?: number;
  /** At most this many events per step (one short write transaction). */
  batch: number;
}

export interface SweepStep {
  deleted: number;
  /** Every event up to this id is gone (or goes in the next step). */
  sweptThrough: number;
  /** The step removed a full batch: there may be more. */
  more: boolean;
}

export interface EventSweeper {
  /** Events up to this id were removed by retention (0: none ever were). */
  sweptThrough(): number;
  /**
   * One step of the retention sweep, in its own short transaction: removes at most `batch` of the
   * oldest events that the limits no longer keep. Events go strictly oldest first (by id): an age
   * limit stops at the first event that is young enough, so what is kept is always every id after
   * `sweptThrough`. The step first raises event_retention.swept_through, the one mark the schema's
   * delete trigger lets through (see migration 8): no other path deletes events.
   */
  sweepStep(limits: SweepLimits): SweepStep;
}

export function eventSweeper(db: Db, now: () => Date): EventSweeper {
  const mark = db.prepare<[], number>('SELECT swept_through FROM event_retention WHERE id = 1').pluck();
  const raise = db.prepare<[number, string]>('UPDATE event_retention SET swept_through = ?, swept_at = ? WHERE id = 1');
  // The highest id ever given out: AUTOINCREMENT keeps it after the newest events are deleted too.
  const sequence = db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
  const leftover = db.prepare<[number, number]>(
    'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? ORDER BY id LIMIT ?)',
  );
  const next = db.prepare<[number, number], { id: number; at: string }>(
    'SELECT id, at FROM events WHERE id > ? ORDER BY id LIMIT ?',
  );
  const remove = db.prepare<[number, number]>('DELETE FROM events WHERE id > ? AND id <= ?');

  const step = (limits: SweepLimits): SweepStep => {
    const swept = mark.get() ?? 0;
    // A step cut short (the hub stopped) left events under the mark: they go first.
    const left = leftover.run(swept, limits.batch).changes;
    if (left > 0) return { deleted: left, sweptThrough: swept, more: true };
    const rows = next.all(swept, limits.batch);
    let through = swept;
    if (limits.keepNewest !== undefined) through = Math.max(through, (sequence.get() ?? 0) - limits.keepNewest);
    if (limits.before !== undefined) {
      const young = rows.findIndex((r) => r.at >= limits.before!);
      const old = young === -1 ? rows.at(-1) : rows[young - 1];
      if (old) through = Math.max(through, old.id);
    }
    // No further than this batch reaches.
    through = Math.min(through, rows.at(-1)?.id ?? swept);
    if (through <= swept) return { deleted: 0, sweptThrough: swept, more: false };
    raise.run(through, now().toISOString());
    const deleted = remove.run(swept, through).changes;
    return { deleted, sweptThrough: through, more: deleted >= limits.batch };
  };

  return {
    sweptThrough: () => mark.get() ?? 0,
    sweepStep(limits) {
      if (!Number.isInteger(limits.batch) || limits.batch < 1)
        throw new StoreInvalidError(`sweep batch ${limits.batch} is not a positive integer`);
      if (limits.keepNewest !== undefined && (!Number.isInteger(limits.keepNewest) || limits.keepNewest < 0))
        throw new StoreInvalidError(`sweep keepNewest ${limits.keepNewest} is not a non-negative integer`);
      return inTransaction(db, () => step(limits));
    },
  };
}
