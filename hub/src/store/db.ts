import Database from 'better-sqlite3';
import { StoreOpenError } from './errors.js';

export type Db = Database.Database;

const runners = new WeakMap<Db, Database.Transaction<(fn: () => unknown) => unknown>>();

/**
 * Runs `fn` in one transaction (a savepoint when nested). better-sqlite3 builds a wrapper per
 * `db.transaction()` call, about 60 µs each: measured as half the cost of folding an agent's status
 * report. One wrapper per connection runs every transaction instead.
 */
export function inTransaction<T>(db: Db, fn: () => T, mode: 'immediate' | 'deferred' = 'immediate'): T {
  let tx = runners.get(db);
  if (!tx) {
    tx = db.transaction((f: () => unknown) => f());
    runners.set(db, tx);
  }
  return tx[mode](fn) as T;
}

export const SYNCHRONOUS_MODES = ['NORMAL', 'FULL'] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

export interface StoreOptions {
  /** The wall clock for stored timestamps; injected so tests control time. */
  now?: () => Date;
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /**
   * NORMAL (the default) keeps every committed transaction across a crash or kill of the process;
   * FULL also keeps the last ones across power loss or a kernel crash, at one fsync per commit.
   */
  synchronous?: SynchronousMode;
}

export type ResolvedStoreOptions = Required<StoreOptions>;

export function defaultOptions(): ResolvedStoreOptions {
  return { now: () => new Date(), busyTimeoutMs: 5000, synchronous: 'NORMAL' };
}

export function parseOptions(opts: StoreOptions = {}): ResolvedStoreOptions {
  const out = { ...defaultOptions(), ...stripUndefined(opts) };
  if (!Number.isInteger(out.busyTimeoutMs) || out.busyTimeoutMs < 0) {
    throw new StoreOpenError(`store option busyTimeoutMs must be a non-negative integer, got ${out.busyTimeoutMs}`);
  }
  if (!SYNCHRONOUS_MODES.includes(out.synchronous)) {
    throw new StoreOpenError(`store option synchronous must be one of ${SYNCHRONOUS_MODES.join(', ')}`);
  }
  return out;
}

function stripUndefined(opts: StoreOptions): StoreOptions {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as StoreOptions;
}

/**
 * Opens (creating if needed) the SQLite file and sets the connection's pragmas.
 *
 * Why synchronous=NORMAL is crash-safe here: in WAL mode a commit appends the transaction's pages and a
 * commit frame to the -wal file with write(2) before the commit returns; NORMAL only skips the fsync,
 * doing it at checkpoints instead. Bytes handed to write(2) live in the kernel's page cache, which a
 * SIGKILL, an OOM kill or a crash of this process cannot take away, and the next open replays the WAL
 * up to the last complete commit (frames are checksummed, so a half-written transaction is ignored).
 * What NORMAL gives up is durability across power loss or a kernel crash: the last commits may roll
 * back, but the database stays consistent. Deployments that need that too pass `synchronous: 'FULL'`.
 */
export function openDatabase(path: string, opts: ResolvedStoreOptions): Db {
  let db: Db;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs });
  } catch (err) {
    throw new StoreOpenError(`cannot open store ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && !db.memory) {
      throw new StoreOpenError(`cannot open store ${path}: journal_mode is "${String(mode)}", not WAL`);
    }
    db.pragma(`synchronous = ${opts.synchronous}`);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(`cannot open store ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** `PRAGMA integrity_check`: 'ok', or the problems SQLite found. */
export function integrityCheck(db: Db): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).join('\n');
}
