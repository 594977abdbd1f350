import type Database from 'better-sqlite3';
import type { Db } from './db.js';

type Params = Record<string, string | number>;

/**
 * Prepared statements for a query whose WHERE clause depends on which filters are set: one statement
 * per combination, prepared on first use. Only the keys of `columns` ever reach the SQL text; values
 * are always bound, and filters with other keys are ignored.
 */
export function filteredQuery<Row>(
  db: Db,
  columns: Readonly<Record<string, string>>,
  build: (where: string) => string,
): (filter: Readonly<Record<string, string | number | undefined>>, extra?: Params) => Row[] {
  const cache = new Map<string, Database.Statement<[Params], Row>>();
  return (filter, extra = {}) => {
    const keys = Object.keys(columns).filter((k) => filter[k] !== undefined);
    const cacheKey = keys.join(',');
    let stmt = cache.get(cacheKey);
    if (!stmt) {
      const where = keys.map((k) => `${columns[k]} = @${k}`).join(' AND ');
      stmt = db.prepare<[Params], Row>(build(where === '' ? '1' : where));
      cache.set(cacheKey, stmt);
    }
    const params: Params = { ...extra };
    for (const k of keys) params[k] = filter[k] as string | number;
    return stmt.all(params);
  };
}
