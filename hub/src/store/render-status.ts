import type { Db } from './db.js';
import { guarded } from './errors.js';
import { compact } from './json.js';

export const RENDER_STATES = ['Rendered', 'Failed'] as const;
export type RenderState = (typeof RENDER_STATES)[number];

/** The outcome of rendering one target for one environment at a commit. */
export interface RenderStatus {
  target: string;
  environment: string;
  commit: string;
  state: RenderState;
  /** For Failed: what is wrong, naming the file and line; the previous good bundle stays deployed. */
  message: string;
  updatedAt: string;
}

export interface RenderStatusStore {
  put(status: Omit<RenderStatus, 'updatedAt'>): RenderStatus;
  get(target: string, environment: string): RenderStatus | undefined;
  list(filter?: { target?: string; environment?: string }): RenderStatus[];
}

interface Row {
  target: string;
  environment: string;
  commit_sha: string;
  state: RenderState;
  message: string;
  updated_at: string;
}

const fromRow = (r: Row): RenderStatus =>
  compact({
    target: r.target,
    environment: r.environment,
    commit: r.commit_sha,
    state: r.state,
    message: r.message,
    updatedAt: r.updated_at,
  });

export function renderStatusStore(db: Db, now: () => Date): RenderStatusStore {
  const upsert = db.prepare<[string, string, string, string, string, string], Row>(
    `INSERT INTO render_status (target, environment, commit_sha, state, message, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (target, environment) DO UPDATE SET commit_sha = excluded.commit_sha, state = excluded.state,
       message = excluded.message, updated_at = excluded.updated_at
     RETURNING *`,
  );
  const one = db.prepare<[string, string], Row>('SELECT * FROM render_status WHERE target = ? AND environment = ?');
  const all = db.prepare<{ target: string | null; environment: string | null }, Row>(
    `SELECT * FROM render_status WHERE (@target IS NULL OR target = @target)
       AND (@environment IS NULL OR environment = @environment)
     ORDER BY target, environment`,
  );
  return {
    put: (s) =>
      guarded(`render status of target "${s.target}" in environment "${s.environment}"`, () => {
        const row = upsert.get(s.target, s.environment, s.commit, s.state, s.message, now().toISOString());
        if (!row) throw new Error('render status upsert returned no row');
        return fromRow(row);
      }),
    get: (target, environment) => {
      const row = one.get(target, environment);
      return row && fromRow(row);
    },
    list: (f = {}) => all.all({ target: f.target ?? null, environment: f.environment ?? null }).map(fromRow),
  };
}
