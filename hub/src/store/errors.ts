import Database from 'better-sqlite3';
import { FlotillaError } from '@flotilla/proto';

/** The thing asked for (a cluster, a bundle, a deployment...) does not exist. */
export class StoreNotFoundError extends FlotillaError {
  readonly code = 'STORE_NOT_FOUND';
}

/** A unique name or key is taken, or a thing is still in use and cannot be deleted. */
export class StoreConflictError extends FlotillaError {
  readonly code = 'STORE_CONFLICT';
}

/** A thing refers to another that does not exist (an environment naming an unknown repo...). */
export class StoreReferenceError extends FlotillaError {
  readonly code = 'STORE_REFERENCE';
}

/** A value the schema refuses: an unknown state, a malformed digest, content not matching its digest. */
export class StoreInvalidError extends FlotillaError {
  readonly code = 'STORE_INVALID';
}

/** The database was migrated by a newer Flotilla than this one. */
export class StoreSchemaTooNewError extends FlotillaError {
  readonly code = 'STORE_SCHEMA_TOO_NEW';
}

/** An applied migration is not the one this code has under the same version (a fork or a dev build). */
export class StoreSchemaMismatchError extends FlotillaError {
  readonly code = 'STORE_SCHEMA_MISMATCH';
}

/** The file cannot be opened as a Flotilla store (unreadable, not SQLite, WAL unavailable). */
export class StoreOpenError extends FlotillaError {
  readonly code = 'STORE_OPEN';
}

/** A stored value cannot be decoded (hand-edited or damaged row). */
export class StoreCorruptError extends FlotillaError {
  readonly code = 'STORE_CORRUPT';
}

function sqliteCode(err: unknown): string | undefined {
  return err instanceof Database.SqliteError ? err.code : undefined;
}

/**
 * Turns a constraint failure into a typed error naming `what` (e.g. `cluster "eu-1"`); anything else is
 * rethrown as is. The repositories check references and uses first so their messages can be precise;
 * this is the backstop for what slips between (another process writing concurrently).
 */
export function rethrowConstraint(err: unknown, what: string): never {
  const code = sqliteCode(err);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    throw new StoreConflictError(`${what} already exists`, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    throw new StoreReferenceError(`${what} refers to something that does not exist, or is still in use`, {
      cause: err,
    });
  }
  if (code === 'SQLITE_CONSTRAINT_CHECK' || code === 'SQLITE_CONSTRAINT_NOTNULL') {
    throw new StoreInvalidError(`${what} has a value the store refuses (${(err as Error).message})`, { cause: err });
  }
  throw err;
}

/** Runs `fn`, translating constraint failures into typed errors naming `what`. */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FlotillaError) throw err;
    return rethrowConstraint(err, what);
  }
}
