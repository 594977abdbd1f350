import { inTransaction, type Db } from './db.js';
import { guarded, StoreConflictError, StoreNotFoundError } from './errors.js';
import { checkStringMap, compact, decodeStringMap, encode } from './json.js';

/**
 * Where a repo's credentials live (e.g. `{ secret: "git-creds" }` or `{ env: "GIT_TOKEN" }`): a
 * reference the source layer resolves, never the credentials themselves.
 */
export type RepoAuth = Readonly<Record<string, string>>;

export interface Repo {
  name: string;
  url: string;
  auth?: RepoAuth;
  pollIntervalSeconds: number;
  webhookSecretSealed?: string;
  /** Hosts (names, *.domains, IPs, CIDRs) this repo's renders may fetch Helm charts from; none by default. */
  renderHosts?: string[];
  /** When the remote last answered (listed its branches). Written by recordRemote, never by put. */
  reachedAt?: string;
  /** Why the remote did not answer the last time (credentials, URL, network); cleared when it does. */
  error?: string;
  errorAt?: string;
}

/** What the hub last fetched of one branch of a repo. */
export interface RepoBranch {
  repo: string;
  branch: string;
  /** The last commit fetched successfully; kept when a later fetch fails. */
  commit?: string;
  fetchedAt?: string;
  /** The last fetch's error; cleared by the next successful fetch. */
  error?: string;
  errorAt?: string;
}

export interface RepoStore {
  /** Creates or replaces the repo (its branches' fetch records stay). */
  put(repo: Repo): Repo;
  get(name: string): Repo | undefined;
  list(): Repo[];
  /** STORE_CONFLICT while environments or targets use it; its branch records go with it. */
  delete(name: string): boolean;
  /** That the remote answered (clears the error), or why it did not. */
  recordRemote(name: string, error?: string): Repo;
  recordFetched(repo: string, branch: string, commit: string): RepoBranch;
  recordFetchError(repo: string, branch: string, error: string): RepoBranch;
  getBranch(repo: string, branch: string): RepoBranch | undefined;
  listBranches(repo: string): RepoBranch[];
}

export interface RepoRow {
  name: string;
  url: string;
  auth: string | null;
  poll_interval_seconds: number;
  webhook_secret_sealed: string | null;
  render_hosts: string | null;
}

/** What put() writes, and what the hub records of the remote besides. */
export interface RepoReadRow extends RepoRow {
  reached_at: string | null;
  error: string | null;
  error_at: string | null;
}

export interface RepoBranchRow {
  repo: string;
  branch: string;
  commit_sha: string | null;
  fetched_at: string | null;
  error: string | null;
  error_at: string | null;
}

export function repoFromRow(row: RepoRow & Partial<RepoReadRow>): Repo {
  return compact({
    name: row.name,
    url: row.url,
    auth: row.auth === null ? undefined : decodeStringMap(row.auth, `repo "${row.name}" auth`),
    pollIntervalSeconds: row.poll_interval_seconds,
    webhookSecretSealed: row.webhook_secret_sealed ?? undefined,
    renderHosts:
      row.render_hosts === null ? undefined : decodeStringList(row.render_hosts, `repo "${row.name}" render hosts`),
    reachedAt: row.reached_at ?? undefined,
    error: row.error ?? undefined,
    errorAt: row.error_at ?? undefined,
  });
}

export function repoToRow(repo: Repo): RepoRow {
  return {
    name: repo.name,
    url: repo.url,
    auth: repo.auth === undefined ? null : encode(checkStringMap(repo.auth, `repo "${repo.name}" auth`)),
    poll_interval_seconds: repo.pollIntervalSeconds,
    webhook_secret_sealed: repo.webhookSecretSealed ?? null,
    render_hosts: repo.renderHosts && repo.renderHosts.length > 0 ? JSON.stringify(repo.renderHosts) : null,
  };
}

function decodeStringList(text: string, what: string): string[] {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${what}: not a list of strings`);
  return v as string[];
}

export function repoBranchFromRow(row: RepoBranchRow): RepoBranch {
  return compact({
    repo: row.repo,
    branch: row.branch,
    commit: row.commit_sha ?? undefined,
    fetchedAt: row.fetched_at ?? undefined,
    error: row.error ?? undefined,
    errorAt: row.error_at ?? undefined,
  });
}

export function repoStore(db: Db, now: () => Date): RepoStore {
  const upsert = db.prepare<RepoRow>(
    `INSERT INTO repos (name, url, auth, poll_interval_seconds, webhook_secret_sealed, render_hosts)
     VALUES (@name, @url, @auth, @poll_interval_seconds, @webhook_secret_sealed, @render_hosts)
     ON CONFLICT (name) DO UPDATE SET url = excluded.url, auth = excluded.auth,
       poll_interval_seconds = excluded.poll_interval_seconds, webhook_secret_sealed = excluded.webhook_secret_sealed,
       render_hosts = excluded.render_hosts`,
  );
  const one = db.prepare<[string], RepoReadRow>('SELECT * FROM repos WHERE name = ?');
  const all = db.prepare<[], RepoReadRow>('SELECT * FROM repos ORDER BY name');
  const reached = db.prepare<[string, string], RepoReadRow>(
    'UPDATE repos SET reached_at = ?, error = NULL, error_at = NULL WHERE name = ? RETURNING *',
  );
  const unreached = db.prepare<[string, string, string], RepoReadRow>(
    'UPDATE repos SET error = ?, error_at = ? WHERE name = ? RETURNING *',
  );
  const users = db.prepare<[string, string], { kind: string; name: string }>(
    `SELECT 'environment' AS kind, name FROM environments WHERE repo = ?
     UNION ALL SELECT 'target' AS kind, name FROM targets WHERE repo = ? ORDER BY kind, name`,
  );
  const remove = db.prepare<[string]>('DELETE FROM repos WHERE name = ?');
  const fetched = db.prepare<[string, string, string, string], RepoBranchRow>(
    `INSERT INTO repo_branches (repo, branch, commit_sha, fetched_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (repo, branch) DO UPDATE SET commit_sha = excluded.commit_sha, fetched_at = excluded.fetched_at,
       error = NULL, error_at = NULL
     RETURNING *`,
  );
  const failed = db.prepare<[string, string, string, string], RepoBranchRow>(
    `INSERT INTO repo_branches (repo, branch, error, error_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (repo, branch) DO UPDATE SET error = excluded.error, error_at = excluded.error_at
     RETURNING *`,
  );
  const branch = db.prepare<[string, string], RepoBranchRow>(
    'SELECT * FROM repo_branches WHERE repo = ? AND branch = ?',
  );
  const branches = db.prepare<[string], RepoBranchRow>('SELECT * FROM repo_branches WHERE repo = ? ORDER BY branch');

  const onBranch = (repo: string, name: string, write: () => RepoBranchRow | undefined): RepoBranch =>
    guarded(`repo "${repo}" branch "${name}"`, () =>
      inTransaction(db, () => {
        if (!one.get(repo)) throw new StoreNotFoundError(`repo "${repo}" does not exist`);
        const row = write();
        if (!row) throw new Error(`repo "${repo}" branch "${name}": upsert returned no row`);
        return repoBranchFromRow(row);
      }),
    );

  return {
    put(repo) {
      const row = repoToRow(repo);
      guarded(`repo "${repo.name}"`, () => upsert.run(row));
      return repoFromRow(row);
    },
    get: (name) => {
      const row = one.get(name);
      return row && repoFromRow(row);
    },
    list: () => all.all().map(repoFromRow),
    recordRemote(name, error) {
      const at = now().toISOString();
      const row = guarded(`repo "${name}"`, () =>
        error === undefined ? reached.get(at, name) : unreached.get(error, at, name),
      );
      if (!row) throw new StoreNotFoundError(`repo "${name}" does not exist`);
      return repoFromRow(row);
    },
    delete: (name) =>
      inTransaction(db, () => {
        const using = users.all(name, name);
        if (using.length > 0) {
          const list = using.map((u) => `${u.kind} "${u.name}"`).join(', ');
          throw new StoreConflictError(`repo "${name}" is still used by ${list}; change or delete them first`);
        }
        return remove.run(name).changes > 0;
      }),
    recordFetched: (repo, name, commit) =>
      onBranch(repo, name, () => fetched.get(repo, name, commit, now().toISOString())),
    recordFetchError: (repo, name, error) =>
      onBranch(repo, name, () => failed.get(repo, name, error, now().toISOString())),
    getBranch: (repo, name) => {
      const row = branch.get(repo, name);
      return row && repoBranchFromRow(row);
    },
    listBranches: (repo) => branches.all(repo).map(repoBranchFromRow),
  };
}
