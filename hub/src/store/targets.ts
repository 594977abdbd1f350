import { inTransaction, type Db } from './db.js';
import { guarded, StoreInvalidError, StoreReferenceError } from './errors.js';
import { decodeObject, encode, type JsonObject } from './json.js';

/** A path in a repo deployed to one or more environments. */
export interface Target {
  name: string;
  repo: string;
  path: string;
  /** In the order given (usually the promotion order). */
  environments: string[];
  /** Deployment options (self-heal, prune, default namespace...), opaque to the store. */
  options: JsonObject;
  /** Set once its removal is asked for: the next reconcile removes its deployments, then the target. */
  removal?: TargetRemoval;
}

export interface TargetRemoval {
  /** Leave its objects in the clusters (agents forget them) instead of deleting them. */
  orphan: boolean;
  requestedAt: string;
}

export type NewTarget = Omit<Target, 'options' | 'removal'> & { options?: JsonObject };

export interface TargetStore {
  /** Creates or replaces; its repo and environments must exist. */
  put(target: NewTarget): Target;
  get(name: string): Target | undefined;
  list(): Target[];
  /** Deletes the target and its deployments; false when there was none. */
  delete(name: string): boolean;
  /** Asks for its removal (see Target.removal); false when there is no such target. */
  markRemoved(name: string, removal: TargetRemoval): boolean;
}

export interface TargetRow {
  name: string;
  repo: string;
  path: string;
  options: string;
  removal_requested_at?: string | null;
  removal_orphan?: number;
}

export function targetFromRow(row: TargetRow, environments: string[]): Target {
  return {
    name: row.name,
    repo: row.repo,
    path: row.path,
    environments,
    options: decodeObject(row.options, `target "${row.name}" options`),
    ...(row.removal_requested_at
      ? { removal: { orphan: row.removal_orphan === 1, requestedAt: row.removal_requested_at } }
      : {}),
  };
}

export function targetToRow(target: NewTarget): TargetRow {
  return { name: target.name, repo: target.repo, path: target.path, options: encode(target.options ?? {}) };
}

function checkEnvironmentList(target: NewTarget): void {
  const seen = new Set<string>();
  for (const env of target.environments) {
    if (seen.has(env)) throw new StoreInvalidError(`target "${target.name}" lists environment "${env}" twice`);
    seen.add(env);
  }
}

export function targetStore(db: Db): TargetStore {
  const upsert = db.prepare<TargetRow>(
    `INSERT INTO targets (name, repo, path, options) VALUES (@name, @repo, @path, @options)
     ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, path = excluded.path, options = excluded.options`,
  );
  const one = db.prepare<[string], TargetRow>('SELECT * FROM targets WHERE name = ?');
  const all = db.prepare<[], TargetRow>('SELECT * FROM targets ORDER BY name');
  const envsOf = db
    .prepare<[string], string>('SELECT environment FROM target_environments WHERE target = ? ORDER BY position')
    .pluck();
  const allEnvs = db.prepare<[], { target: string; environment: string }>(
    'SELECT target, environment FROM target_environments ORDER BY target, position',
  );
  const clearEnvs = db.prepare<[string]>('DELETE FROM target_environments WHERE target = ?');
  const addEnv = db.prepare<[string, string, number]>(
    'INSERT INTO target_environments (target, environment, position) VALUES (?, ?, ?)',
  );
  const repoExists = db.prepare<[string], string>('SELECT name FROM repos WHERE name = ?').pluck();
  const envExists = db.prepare<[string], string>('SELECT name FROM environments WHERE name = ?').pluck();
  const remove = db.prepare<[string]>('DELETE FROM targets WHERE name = ?');
  const markRemoval = db.prepare<[string, number, string]>(
    'UPDATE targets SET removal_requested_at = ?, removal_orphan = ? WHERE name = ?',
  );

  const checkReferences = (target: NewTarget): void => {
    const what = `target "${target.name}"`;
    if (repoExists.get(target.repo) === undefined) {
      throw new StoreReferenceError(`${what} is in repo "${target.repo}", which does not exist`);
    }
    const missing = target.environments.filter((env) => envExists.get(env) === undefined);
    if (missing.length > 0) {
      throw new StoreReferenceError(`${what} names environments that do not exist: ${missing.join(', ')}`);
    }
  };

  return {
    put(target) {
      checkEnvironmentList(target);
      const row = targetToRow(target);
      return guarded(`target "${target.name}"`, () =>
        inTransaction(db, () => {
          checkReferences(target);
          upsert.run(row);
          clearEnvs.run(target.name);
          target.environments.forEach((env, i) => addEnv.run(target.name, env, i));
          return targetFromRow(row, [...target.environments]);
        }),
      );
    },
    get: (name) =>
      inTransaction(
        db,
        () => {
          const row = one.get(name);
          return row && targetFromRow(row, envsOf.all(name));
        },
        'deferred',
      ),
    list: () =>
      inTransaction(
        db,
        () => {
          const byTarget = new Map<string, string[]>();
          for (const { target, environment } of allEnvs.all()) {
            const list = byTarget.get(target) ?? [];
            list.push(environment);
            byTarget.set(target, list);
          }
          return all.all().map((row) => targetFromRow(row, byTarget.get(row.name) ?? []));
        },
        'deferred',
      ),
    delete: (name) => remove.run(name).changes > 0,
    markRemoved: (name, r) => markRemoval.run(r.requestedAt, r.orphan ? 1 : 0, name).changes > 0,
  };
}
