import { EVENT_KINDS, isEventKind, type EventKind } from '@flotilla/common';
import type { Db } from './db.js';
import { guarded, StoreInvalidError } from './errors.js';
import { compact, decodeObject, encode, type JsonObject } from './json.js';
import { eventSweeper, type EventSweeper } from './event-retention.js';
import { filteredQuery } from './query.js';

// The vocabulary of kinds is shared with the API and the CLI (`fleet events --kind`).
export { EVENT_KINDS, isEventKind, type EventKind };

/** The subject of an event: any of the things it concerns, and who caused it. */
export interface EventSubject {
  cluster?: string;
  repo?: string;
  environment?: string;
  target?: string;
  bundle?: string;
  actor?: string;
}

export interface NewEvent extends EventSubject {
  kind: EventKind;
  payload?: JsonObject;
}

export interface FleetEvent extends EventSubject {
  id: number;
  at: string;
  /** A kind this hub may not know, when a newer one wrote it. */
  kind: EventKind | (string & {});
  payload: JsonObject;
}

export interface EventFilter {
  /** Only events with a greater id (resume a stream from the last id seen). */
  afterId?: number;
  /** Only events with a smaller id (page back from the oldest id seen). */
  beforeId?: number;
  /** At most this many (default 1000, at most 10000). */
  limit?: number;
  /** The newest `limit` matches instead of the oldest (still returned oldest first). */
  newest?: boolean;
  kind?: EventKind;
  cluster?: string;
  repo?: string;
  environment?: string;
  target?: string;
}

/** The running totals behind the GitOps metrics, by what each counts. */
export const EVENT_COUNTERS = ['commits', 'rollouts', 'rollbacks', 'promotions', 'driftIncidents'] as const;
export type EventCounter = (typeof EVENT_COUNTERS)[number];

/**
 * How many events of a kind were ever appended, per subject: `commits` per repo and branch (CommitSeen),
 * `rollouts` per environment and result (Applied: succeeded or failed), `rollbacks`, `promotions` and
 * `driftIncidents` (DriftDetected, plus the detections a coalesced report stands for) per environment.
 * Kept by the schema on insert; retention never lowers them.
 */
export interface EventCount {
  counter: EventCounter | (string & {});
  environment: string;
  repo: string;
  branch: string;
  result: string;
  count: number;
}

/**
 * Append and read: events are history, and the schema refuses UPDATE, and DELETE of any event the
 * retention sweep has not reached (see event-retention.ts).
 */
export interface EventStore extends EventSweeper {
  append(event: NewEvent): FleetEvent;
  /** Oldest first. */
  list(filter?: EventFilter): FleetEvent[];
  /** The id of the newest event, 0 when there is none. */
  lastId(): number;
  /** Every running total (see EventCount). */
  counts(): EventCount[];
  /**
   * The drift report (DriftDetected or DriftCorrected) of the same object (cluster, environment,
   * target, object) just after or just before this one; undefined when there is none.
   */
  driftNeighbor(e: FleetEvent, side: 'next' | 'prev'): FleetEvent | undefined;
}

export const DEFAULT_EVENT_LIMIT = 1000;
export const MAX_EVENT_LIMIT = 10_000;

export interface EventRow {
  id: number;
  at: string;
  kind: string;
  cluster: string | null;
  repo: string | null;
  environment: string | null;
  target: string | null;
  bundle_digest: string | null;
  actor: string | null;
  payload: string;
}

export function eventFromRow(row: EventRow): FleetEvent {
  return compact({
    id: row.id,
    at: row.at,
    kind: row.kind,
    cluster: row.cluster ?? undefined,
    repo: row.repo ?? undefined,
    environment: row.environment ?? undefined,
    target: row.target ?? undefined,
    bundle: row.bundle_digest ?? undefined,
    actor: row.actor ?? undefined,
    payload: decodeObject(row.payload, `event ${row.id} payload`),
  });
}

export function eventToRow(event: NewEvent, at: string): Omit<EventRow, 'id'> {
  return {
    at,
    kind: event.kind,
    cluster: event.cluster ?? null,
    repo: event.repo ?? null,
    environment: event.environment ?? null,
    target: event.target ?? null,
    bundle_digest: event.bundle ?? null,
    actor: event.actor ?? null,
    payload: encode(event.payload ?? {}),
  };
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_EVENT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1)
    throw new StoreInvalidError(`event limit ${limit} is not a positive integer`);
  return Math.min(limit, MAX_EVENT_LIMIT);
}

export function eventStore(db: Db, now: () => Date): EventStore {
  // Positional and without RETURNING: an event is appended for every rollout outcome a report
  // settles, and binding named parameters and returning the row cost more than the insert itself.
  const insert = db.prepare<
    [string, string, string | null, string | null, string | null, string | null, string | null, string | null, string]
  >(
    `INSERT INTO events (at, kind, cluster, repo, environment, target, bundle_digest, actor, payload)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const last = db.prepare<[], number | null>('SELECT max(id) FROM events').pluck();
  const columns = { kind: 'kind', cluster: 'cluster', repo: 'repo', environment: 'environment', target: 'target' };
  const range = 'id > @afterId AND id < @beforeId';
  const oldest = filteredQuery<EventRow>(
    db,
    columns,
    (where) => `SELECT * FROM events WHERE ${range} AND ${where} ORDER BY id LIMIT @limit`,
  );
  const newest = filteredQuery<EventRow>(
    db,
    columns,
    (where) => `SELECT * FROM events WHERE ${range} AND ${where} ORDER BY id DESC LIMIT @limit`,
  );
  const counts = db.prepare<[], EventCount>(
    'SELECT counter, environment, repo, branch, result, count FROM event_counts ORDER BY 1, 2, 3, 4, 5',
  );
  // INDEXED BY: without statistics the planner walks the primary key instead, through every later event.
  const driftOf = (cmp: '>' | '<', order: 'ASC' | 'DESC') =>
    db.prepare<[string, string, string, string, number], EventRow>(
      `SELECT * FROM events INDEXED BY events_drift_object
       WHERE (kind = 'DriftDetected' OR kind = 'DriftCorrected')
         AND cluster = ? AND environment = ? AND target = ? AND json_extract(payload, '$.object') = ? AND id ${cmp} ?
       ORDER BY id ${order} LIMIT 1`,
    );
  const driftAfter = driftOf('>', 'ASC');
  const driftBefore = driftOf('<', 'DESC');

  return {
    append(event) {
      if (!isEventKind(event.kind)) throw new StoreInvalidError(`"${String(event.kind)}" is not an event kind`);
      const r = eventToRow(event, now().toISOString());
      const { lastInsertRowid } = guarded(`event ${event.kind}`, () =>
        insert.run(r.at, r.kind, r.cluster, r.repo, r.environment, r.target, r.bundle_digest, r.actor, r.payload),
      );
      return eventFromRow({ id: Number(lastInsertRowid), ...r });
    },
    list(filter = {}) {
      const extra = {
        afterId: filter.afterId ?? 0,
        beforeId: filter.beforeId ?? Number.MAX_SAFE_INTEGER,
        limit: clampLimit(filter.limit),
      };
      const { kind, cluster, repo, environment, target } = filter;
      const subject = { kind, cluster, repo, environment, target };
      if (!filter.newest) return oldest(subject, extra).map(eventFromRow);
      return newest(subject, extra).reverse().map(eventFromRow);
    },
    lastId: () => last.get() ?? 0,
    counts: () => counts.all(),
    driftNeighbor(e, side) {
      const object = e.payload.object;
      if (!e.cluster || !e.environment || !e.target || typeof object !== 'string') return undefined;
      const stmt = side === 'next' ? driftAfter : driftBefore;
      const row = stmt.get(e.cluster, e.environment, e.target, object, e.id);
      return row && eventFromRow(row);
    },
    ...eventSweeper(db, now),
  };
}
