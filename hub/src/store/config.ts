import { inTransaction, type Db } from './db.js';
import { guarded, StoreConflictError, StoreInvalidError, StoreReferenceError } from './errors.js';
import { compact } from './json.js';

/** A named label selector over clusters. */
export interface Group {
  name: string;
  /** A label selector string, e.g. `env=prod,region in (eu,us)`. */
  selector: string;
}

/** A branch of a repo plus the clusters it deploys to; `promotesTo` is the next link of the chain. */
export interface Environment {
  name: string;
  repo: string;
  branch: string;
  /** The clusters it deploys to: a group, a selector, or both (a cluster must satisfy both). */
  group?: string;
  selector?: string;
  promotesTo?: string;
}

export interface GroupStore {
  /** Creates or replaces the group. */
  put(group: Group): Group;
  get(name: string): Group | undefined;
  list(): Group[];
  /** STORE_CONFLICT while an environment deploys to the group; false when there was none. */
  delete(name: string): boolean;
}

export interface EnvironmentStore {
  /** Creates or replaces; its repo, group and next environment must exist, and the chain stay acyclic. */
  put(environment: Environment): Environment;
  get(name: string): Environment | undefined;
  list(): Environment[];
  /** STORE_CONFLICT while a target or another environment names it; its deployments go with it. */
  delete(name: string): boolean;
}

export interface EnvironmentRow {
  name: string;
  repo: string;
  branch: string;
  group_name: string | null;
  selector: string | null;
  promotes_to: string | null;
}

export function environmentFromRow(row: EnvironmentRow): Environment {
  return compact({
    name: row.name,
    repo: row.repo,
    branch: row.branch,
    group: row.group_name ?? undefined,
    selector: row.selector ?? undefined,
    promotesTo: row.promotes_to ?? undefined,
  });
}

export function environmentToRow(env: Environment): EnvironmentRow {
  return {
    name: env.name,
    repo: env.repo,
    branch: env.branch,
    group_name: env.group ?? null,
    selector: env.selector ?? null,
    promotes_to: env.promotesTo ?? null,
  };
}

type Names = { name: string }[];

function names(rows: Names): string {
  return rows.map((r) => r.name).join(', ');
}

export function groupStore(db: Db): GroupStore {
  const upsert = db.prepare<Group>(
    `INSERT INTO "groups" (name, selector) VALUES (@name, @selector)
     ON CONFLICT (name) DO UPDATE SET selector = excluded.selector`,
  );
  const one = db.prepare<[string], Group>('SELECT name, selector FROM "groups" WHERE name = ?');
  const all = db.prepare<[], Group>('SELECT name, selector FROM "groups" ORDER BY name');
  const users = db.prepare<[string], { name: string }>(
    'SELECT name FROM environments WHERE group_name = ? ORDER BY name',
  );
  const remove = db.prepare<[string]>('DELETE FROM "groups" WHERE name = ?');

  return {
    put(group) {
      const row = { name: group.name, selector: group.selector };
      guarded(`group "${group.name}"`, () => upsert.run(row));
      return row;
    },
    get: (name) => one.get(name),
    list: () => all.all(),
    delete: (name) =>
      guarded(`group "${name}"`, () =>
        inTransaction(db, () => {
          const using = users.all(name);
          if (using.length > 0) {
            throw new StoreConflictError(
              `group "${name}" is still used by environments ${names(using)}; change or delete them first`,
            );
          }
          return remove.run(name).changes > 0;
        }),
      ),
  };
}

export function environmentStore(db: Db): EnvironmentStore {
  const upsert = db.prepare<EnvironmentRow>(
    `INSERT INTO environments (name, repo, branch, group_name, selector, promotes_to)
     VALUES (@name, @repo, @branch, @group_name, @selector, @promotes_to)
     ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, branch = excluded.branch,
       group_name = excluded.group_name, selector = excluded.selector, promotes_to = excluded.promotes_to`,
  );
  const one = db.prepare<[string], EnvironmentRow>('SELECT * FROM environments WHERE name = ?');
  const all = db.prepare<[], EnvironmentRow>('SELECT * FROM environments ORDER BY name');
  const repoExists = db.prepare<[string], { name: string }>('SELECT name FROM repos WHERE name = ?');
  const groupExists = db.prepare<[string], { name: string }>('SELECT name FROM "groups" WHERE name = ?');
  const targetUsers = db.prepare<[string], { name: string }>(
    'SELECT target AS name FROM target_environments WHERE environment = ? ORDER BY target',
  );
  const promoters = db.prepare<[string], { name: string }>(
    'SELECT name FROM environments WHERE promotes_to = ? ORDER BY name',
  );
  const remove = db.prepare<[string]>('DELETE FROM environments WHERE name = ?');

  const checkReferences = (env: Environment): void => {
    const what = `environment "${env.name}"`;
    if (!repoExists.get(env.repo))
      throw new StoreReferenceError(`${what} follows repo "${env.repo}", which does not exist`);
    if (env.group !== undefined && !groupExists.get(env.group)) {
      throw new StoreReferenceError(`${what} deploys to group "${env.group}", which does not exist`);
    }
    if (env.promotesTo === undefined) return;
    if (!one.get(env.promotesTo)) {
      throw new StoreReferenceError(`${what} promotes to environment "${env.promotesTo}", which does not exist`);
    }
    const chain = [env.name];
    let next: string | undefined = env.promotesTo;
    while (next !== undefined) {
      if (chain.includes(next)) {
        throw new StoreInvalidError(`${what} would make the promotion chain a cycle: ${[...chain, next].join(' → ')}`);
      }
      chain.push(next);
      next = one.get(next)?.promotes_to ?? undefined;
    }
  };

  return {
    put(env) {
      const row = environmentToRow(env);
      return guarded(`environment "${env.name}"`, () =>
        inTransaction(db, () => {
          checkReferences(env);
          upsert.run(row);
          return environmentFromRow(row);
        }),
      );
    },
    get: (name) => {
      const row = one.get(name);
      return row && environmentFromRow(row);
    },
    list: () => all.all().map(environmentFromRow),
    delete: (name) =>
      guarded(`environment "${name}"`, () =>
        inTransaction(db, () => {
          const targets = targetUsers.all(name);
          if (targets.length > 0) {
            throw new StoreConflictError(
              `environment "${name}" is still used by targets ${names(targets)}; remove it from them first`,
            );
          }
          const from = promoters.all(name);
          if (from.length > 0) {
            throw new StoreConflictError(
              `environment "${name}" is still promoted to from environments ${names(from)}; change them first`,
            );
          }
          return remove.run(name).changes > 0;
        }),
      ),
  };
}
