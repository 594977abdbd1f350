import type { Db } from './db.js';
import { StoreSchemaMismatchError, StoreSchemaTooNewError } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/*
 * Applied migrations are history: never edit one, append the next. Their SQL is literal on purpose
 * (the deployment_status.state CHECK spells out BUNDLE_STATES as they were at version 6, as
 * deployments.state did from version 1): a test compares the live CHECK with BUNDLE_STATES, so a new
 * state fails it until a migration rebuilds the table.
 * A migration that rebuilds a table must run with foreign keys off, which cannot be changed inside a
 * transaction; give it its own runner step when that day comes.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE clusters (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL UNIQUE CHECK (name <> ''),
  labels             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels) AND json_type(labels) = 'object'),
  credential_hash    TEXT UNIQUE,
  kubernetes_version TEXT,
  agent_version      TEXT,
  last_seen_at       TEXT,
  created_at         TEXT NOT NULL,
  revoked_at         TEXT
) STRICT;

CREATE TABLE "groups" (
  name     TEXT PRIMARY KEY CHECK (name <> ''),
  selector TEXT NOT NULL
) STRICT;

CREATE TABLE repos (
  name                  TEXT PRIMARY KEY CHECK (name <> ''),
  url                   TEXT NOT NULL CHECK (url <> ''),
  auth                  TEXT CHECK (auth IS NULL OR (json_valid(auth) AND json_type(auth) = 'object')),
  poll_interval_seconds INTEGER NOT NULL CHECK (poll_interval_seconds > 0),
  webhook_secret_hash   TEXT
) STRICT;

CREATE TABLE repo_branches (
  repo       TEXT NOT NULL REFERENCES repos(name) ON DELETE CASCADE,
  branch     TEXT NOT NULL CHECK (branch <> ''),
  commit_sha TEXT,
  fetched_at TEXT,
  error      TEXT,
  error_at   TEXT,
  PRIMARY KEY (repo, branch)
) STRICT, WITHOUT ROWID;

CREATE TABLE environments (
  name        TEXT PRIMARY KEY CHECK (name <> ''),
  repo        TEXT NOT NULL REFERENCES repos(name),
  branch      TEXT NOT NULL CHECK (branch <> ''),
  group_name  TEXT REFERENCES "groups"(name),
  selector    TEXT,
  promotes_to TEXT REFERENCES environments(name),
  CHECK (promotes_to IS NULL OR promotes_to <> name)
) STRICT;
CREATE INDEX environments_repo ON environments(repo);
CREATE INDEX environments_group ON environments(group_name);
CREATE INDEX environments_promotes_to ON environments(promotes_to);

CREATE TABLE targets (
  name    TEXT PRIMARY KEY CHECK (name <> ''),
  repo    TEXT NOT NULL REFERENCES repos(name),
  path    TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options) AND json_type(options) = 'object')
) STRICT;
CREATE INDEX targets_repo ON targets(repo);

CREATE TABLE target_environments (
  target      TEXT NOT NULL REFERENCES targets(name) ON DELETE CASCADE,
  environment TEXT NOT NULL REFERENCES environments(name),
  position    INTEGER NOT NULL,
  PRIMARY KEY (target, environment)
) STRICT, WITHOUT ROWID;
CREATE INDEX target_environments_environment ON target_environments(environment);

-- content last: columns after a large BLOB would make every metadata read walk its overflow pages.
CREATE TABLE bundles (
  digest       TEXT PRIMARY KEY CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
  size         INTEGER NOT NULL CHECK (size >= 0),
  object_count INTEGER NOT NULL CHECK (object_count >= 0),
  created_at   TEXT NOT NULL,
  encoding     TEXT NOT NULL CHECK (encoding IN ('identity', 'gzip')),
  content      BLOB NOT NULL
) STRICT;

CREATE TABLE deployments (
  cluster       TEXT NOT NULL REFERENCES clusters(name) ON DELETE CASCADE,
  target        TEXT NOT NULL REFERENCES targets(name) ON DELETE CASCADE,
  environment   TEXT NOT NULL REFERENCES environments(name) ON DELETE CASCADE,
  bundle_digest TEXT NOT NULL REFERENCES bundles(digest),
  revision      TEXT,
  generation    INTEGER NOT NULL CHECK (generation >= 1),
  state         TEXT NOT NULL
                CHECK (state IN ('Ready', 'NotReady', 'Pending', 'OutOfSync', 'Modified', 'WaitApplied', 'ErrApplied')),
  message       TEXT NOT NULL DEFAULT '',
  updated_at    TEXT NOT NULL,
  PRIMARY KEY (cluster, target, environment)
) STRICT;
CREATE INDEX deployments_target ON deployments(target, environment);
CREATE INDEX deployments_environment ON deployments(environment);
CREATE INDEX deployments_bundle ON deployments(bundle_digest);

-- AUTOINCREMENT: ids are never reused, so a stream consumer resuming "after id N" never skips one.
CREATE TABLE events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  at            TEXT NOT NULL,
  kind          TEXT NOT NULL,
  cluster       TEXT,
  repo          TEXT,
  environment   TEXT,
  target        TEXT,
  bundle_digest TEXT,
  actor         TEXT,
  payload       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload) AND json_type(payload) = 'object')
) STRICT;
CREATE INDEX events_kind ON events(kind, id);
CREATE INDEX events_cluster ON events(cluster, id);
CREATE INDEX events_target ON events(target, id);
CREATE INDEX events_environment ON events(environment, id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
`,
  },
  {
    version: 2,
    name: 'sealed webhook secrets, deployment options, render status',
    // An HMAC webhook signature is checked with the secret itself, so a hash cannot serve: the
    // secret is kept sealed (AES-256-GCM under the hub's key, see hub/src/secrets.ts) instead.
    sql: `
ALTER TABLE repos RENAME COLUMN webhook_secret_hash TO webhook_secret_sealed;

-- What the agent needs besides the objects (namespaces, self-heal, ignore rules): per deployment,
-- since one bundle can serve clusters whose fleet.yaml customizations differ only in options.
ALTER TABLE deployments ADD COLUMN options TEXT NOT NULL DEFAULT '{}'
  CHECK (json_valid(options) AND json_type(options) = 'object');

CREATE TABLE render_status (
  target      TEXT NOT NULL REFERENCES targets(name) ON DELETE CASCADE,
  environment TEXT NOT NULL REFERENCES environments(name) ON DELETE CASCADE,
  commit_sha  TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('Rendered', 'Failed')),
  message     TEXT NOT NULL DEFAULT '',
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (target, environment)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 3,
    name: 'registration tokens',
    // One-time, expiring tokens an agent trades for its cluster credential. Only the sha256 of the
    // token is kept; a used token stays (used_at set) so that a replay is recognised as one.
    sql: `
CREATE TABLE registration_tokens (
  token_hash   TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
  cluster_name TEXT NOT NULL CHECK (cluster_name <> ''),
  labels       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels) AND json_type(labels) = 'object'),
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  used_at      TEXT,
  created_by   TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX registration_tokens_cluster ON registration_tokens(cluster_name);
`,
  },
  {
    version: 4,
    name: 'api tokens, rollout timing',
    // Bearer tokens of the HTTP API, kept as sha256 only. generation_at is when the current
    // generation began and settled_at when it first reached Ready or ErrApplied: the rollout's
    // duration and outcome, recorded once per generation.
    sql: `
CREATE TABLE api_tokens (
  name         TEXT PRIMARY KEY CHECK (name <> ''),
  token_hash   TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  expires_at   TEXT,
  revoked_at   TEXT,
  last_used_at TEXT
) STRICT;

ALTER TABLE deployments ADD COLUMN generation_at TEXT;
ALTER TABLE deployments ADD COLUMN settled_at TEXT;
UPDATE deployments SET generation_at = updated_at;
`,
  },
  {
    version: 5,
    name: 'registration retry key',
    // The sha256 of the random key the agent sent with the registration that used the token: a retry
    // of that registration (its answer was lost) presenting the same key is answered again, with a
    // fresh credential, instead of being refused as a replay.
    sql: `
ALTER TABLE registration_tokens ADD COLUMN used_key_hash TEXT CHECK (used_key_hash IS NULL OR length(used_key_hash) = 64);
`,
  },
  {
    version: 6,
    name: 'deployment status table',
    // What the agents report moves out of deployments (what is desired) into a narrow table keyed
    // like it, without a rowid: an agent's report rewrites a row of about 100 bytes found in one
    // B-tree descent, not the 400-byte desired row found through the primary-key index (measured on
    // a hub's store of 1,000 deployments, in transactions of 230 reports: 12.2 → 5.8 µs a report).
    // generation is the one the state was reported for; setDesired keeps it equal to the deployment's.
    // The state CHECK is a chain of ORs, not IN (...): SQLite builds an ephemeral table for an IN list
    // on every execution of a statement that checks it (measured: 4 µs of a 9 µs report).
    sql: `
CREATE TABLE deployment_status (
  cluster     TEXT NOT NULL,
  target      TEXT NOT NULL,
  environment TEXT NOT NULL,
  generation  INTEGER NOT NULL CHECK (generation >= 1),
  state       TEXT NOT NULL CHECK (state = 'Ready' OR state = 'NotReady' OR state = 'Pending' OR state = 'OutOfSync'
                                OR state = 'Modified' OR state = 'WaitApplied' OR state = 'ErrApplied'),
  message     TEXT NOT NULL DEFAULT '',
  updated_at  TEXT NOT NULL,
  settled_at  TEXT,
  PRIMARY KEY (cluster, target, environment),
  FOREIGN KEY (cluster, target, environment) REFERENCES deployments (cluster, target, environment) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO deployment_status (cluster, target, environment, generation, state, message, updated_at, settled_at)
  SELECT cluster, target, environment, generation, state, message, updated_at, settled_at FROM deployments;

ALTER TABLE deployments DROP COLUMN state;
ALTER TABLE deployments DROP COLUMN message;
ALTER TABLE deployments DROP COLUMN updated_at;
ALTER TABLE deployments DROP COLUMN settled_at;
`,
  },
  {
    version: 7,
    name: 'deployment objects',
    // Per-object health, as the agent last reported it for the generation: how many objects, how
    // many ready, and the first few that are not (JSON, NULL when none), so the API can say which
    // object holds a deployment back. NULL counts: not reported yet.
    sql: `
ALTER TABLE deployment_status ADD COLUMN objects_total INTEGER;
ALTER TABLE deployment_status ADD COLUMN objects_ready INTEGER;
ALTER TABLE deployment_status ADD COLUMN not_ready TEXT;
`,
  },
  {
    version: 8,
    name: 'event retention, event counts, drift by object',
    // Retention: the delete trigger now lets through events up to event_retention.swept_through, a
    // mark that only moves forward and that only the retention sweep raises (event-retention.ts);
    // any other DELETE is still refused, and UPDATE always is.
    // event_counts: the running totals behind the GitOps metrics, kept by a trigger on insert and
    // never swept, so a sweep does not lower them; seeded here from the events already kept. The
    // drift-incident counter adds the detections a rate-limited agent's summary says it coalesced.
    // The trigger costs about 15 µs per counted event (measured: 9-15 → 25-30 µs to append an
    // Applied event), which is one per deployment per generation, not one per status report.
    // events_drift_object: drift of one object, in order, so the API pairs a detection with the
    // report that followed it without reading the whole history.
    sql: `
CREATE TABLE event_retention (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  swept_through INTEGER NOT NULL CHECK (swept_through >= 0),
  swept_at      TEXT
) STRICT;
INSERT INTO event_retention (id, swept_through) VALUES (1, 0);
CREATE TRIGGER event_retention_forward BEFORE UPDATE ON event_retention
  WHEN NEW.swept_through < OLD.swept_through OR NEW.id <> OLD.id
  BEGIN SELECT RAISE(ABORT, 'event retention only moves forward'); END;
CREATE TRIGGER event_retention_kept BEFORE DELETE ON event_retention
  BEGIN SELECT RAISE(ABORT, 'event retention only moves forward'); END;
DROP TRIGGER events_append_only_delete;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  WHEN OLD.id > coalesce((SELECT swept_through FROM event_retention WHERE id = 1), 0)
  BEGIN SELECT RAISE(ABORT, 'events are append-only (only the retention sweep removes them)'); END;

CREATE TABLE event_counts (
  counter     TEXT NOT NULL,
  environment TEXT NOT NULL,
  repo        TEXT NOT NULL,
  branch      TEXT NOT NULL,
  result      TEXT NOT NULL,
  count       INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (counter, environment, repo, branch, result)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER events_counted AFTER INSERT ON events
  WHEN NEW.kind = 'CommitSeen' OR NEW.kind = 'Applied' OR NEW.kind = 'Rollback' OR NEW.kind = 'Promotion'
    OR NEW.kind = 'DriftDetected' OR NEW.kind = 'DriftCorrected'
  BEGIN
    INSERT INTO event_counts (counter, environment, repo, branch, result, count)
    SELECT counter, environment, repo, branch, result, n FROM (SELECT
      CASE NEW.kind WHEN 'CommitSeen' THEN 'commits' WHEN 'Applied' THEN 'rollouts' WHEN 'Rollback' THEN 'rollbacks'
        WHEN 'Promotion' THEN 'promotions' ELSE 'driftIncidents' END AS counter,
      coalesce(NEW.environment, '') AS environment,
      CASE NEW.kind WHEN 'CommitSeen' THEN coalesce(NEW.repo, '') ELSE '' END AS repo,
      CASE WHEN NEW.kind = 'CommitSeen' AND json_type(NEW.payload, '$.branch') = 'text'
        THEN json_extract(NEW.payload, '$.branch') ELSE '' END AS branch,
      CASE WHEN NEW.kind <> 'Applied' THEN ''
        WHEN json_extract(NEW.payload, '$.state') = 'Ready' THEN 'succeeded' ELSE 'failed' END AS result,
      (NEW.kind <> 'DriftCorrected')
        + CASE WHEN json_type(NEW.payload, '$.suppressed.detected') = 'integer'
          THEN max(0, json_extract(NEW.payload, '$.suppressed.detected')) ELSE 0 END AS n)
    WHERE n > 0
    ON CONFLICT DO UPDATE SET count = count + excluded.count;
  END;
INSERT INTO event_counts (counter, environment, repo, branch, result, count)
SELECT counter, environment, repo, branch, result, sum(n) FROM (SELECT
    CASE kind WHEN 'CommitSeen' THEN 'commits' WHEN 'Applied' THEN 'rollouts' WHEN 'Rollback' THEN 'rollbacks'
      WHEN 'Promotion' THEN 'promotions' ELSE 'driftIncidents' END AS counter,
    coalesce(environment, '') AS environment,
    CASE kind WHEN 'CommitSeen' THEN coalesce(repo, '') ELSE '' END AS repo,
    CASE WHEN kind = 'CommitSeen' AND json_type(payload, '$.branch') = 'text'
      THEN json_extract(payload, '$.branch') ELSE '' END AS branch,
    CASE WHEN kind <> 'Applied' THEN ''
      WHEN json_extract(payload, '$.state') = 'Ready' THEN 'succeeded' ELSE 'failed' END AS result,
    (kind <> 'DriftCorrected') AS n
  FROM events
  WHERE kind = 'CommitSeen' OR kind = 'Applied' OR kind = 'Rollback' OR kind = 'Promotion' OR kind = 'DriftDetected')
GROUP BY counter, environment, repo, branch, result;

CREATE INDEX events_drift_object ON events (cluster, environment, target, json_extract(payload, '$.object'), id)
  WHERE kind = 'DriftDetected' OR kind = 'DriftCorrected';
`,
  },
  {
    version: 9,
    name: 'render hosts per repo',
    // The hosts a repo's renders may fetch Helm charts from (JSON list); NULL: none, the default.
    sql: `
ALTER TABLE repos ADD COLUMN render_hosts TEXT;
`,
  },
  {
    version: 10,
    name: 'target removal and orphaned bundles',
    // A target being removed stays until the next reconcile deletes its deployments, so that agents
    // learn of the removal in the same desired state as whatever takes its objects over. Orphaned
    // bundles: those an agent must forget without deleting their objects (removed with --orphan),
    // kept until the agent reports a desired state naming them applied.
    sql: `
ALTER TABLE targets ADD COLUMN removal_requested_at TEXT;
ALTER TABLE targets ADD COLUMN removal_orphan INTEGER NOT NULL DEFAULT 0 CHECK (removal_orphan IN (0, 1));

CREATE TABLE orphaned_bundles (
  cluster      TEXT NOT NULL REFERENCES clusters(name) ON DELETE CASCADE,
  bundle_id    TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  PRIMARY KEY (cluster, bundle_id)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 11,
    name: 'retries of failed applies',
    // retry_requests: raised each time someone asks for a deployment to be applied again now; sent
    // with its desired state, so an agent sees it move (and one that was away, on reconnect).
    // retry_*: the agent's backoff of a failed apply as it last reported it (NULL: not failing).
    sql: `
ALTER TABLE deployments ADD COLUMN retry_requests INTEGER NOT NULL DEFAULT 0 CHECK (retry_requests >= 0);
ALTER TABLE deployment_status ADD COLUMN retry_attempt INTEGER;
ALTER TABLE deployment_status ADD COLUMN retry_at TEXT;
ALTER TABLE deployment_status ADD COLUMN retry_reason TEXT;
`,
  },
  {
    version: 12,
    name: 'repo remote state',
    // Whether the repo's remote answered, kept on the repo itself: a repo no environment follows yet
    // has no branch to record a failed fetch on, and its error must show from the moment it is added.
    sql: `
ALTER TABLE repos ADD COLUMN reached_at TEXT;
ALTER TABLE repos ADD COLUMN error TEXT;
ALTER TABLE repos ADD COLUMN error_at TEXT;
`,
  },
  {
    version: 13,
    name: 'orphaned deployments',
    // A mark names a deployment ("environment/target"), not a bundle (a digest): the table and its
    // column say so. Renames keep the rows, the primary key and the foreign key.
    sql: `
ALTER TABLE orphaned_bundles RENAME TO orphaned_deployments;
ALTER TABLE orphaned_deployments RENAME COLUMN bundle_id TO deployment;
`,
  },
];

export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.at(-1)?.version ?? 0;
}

interface AppliedRow {
  version: number;
  name: string;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration "${m.name}" has version ${m.version}, expected ${i + 1}`);
  });
}

function checkApplied(path: string, applied: readonly AppliedRow[], migrations: readonly Migration[]): void {
  const known = latestVersion(migrations);
  const newest = applied.at(-1)?.version ?? 0;
  if (newest > known) {
    throw new StoreSchemaTooNewError(
      `store ${path} is at schema version ${newest}, newer than this Flotilla knows (up to ${known}); ` +
        `run a Flotilla at least as new as the one that last opened it, or restore a backup taken before it`,
    );
  }
  for (const row of applied) {
    const ours = migrations[row.version - 1];
    if (ours?.name !== row.name) {
      throw new StoreSchemaMismatchError(
        `store ${path} has migration ${row.version} "${row.name}" applied, but this Flotilla's migration ` +
          `${row.version} is "${ours?.name ?? '(none)'}"; it was written by a different build`,
      );
    }
  }
}

/**
 * Brings the schema up to the newest migration, each in its own IMMEDIATE transaction (so two
 * processes opening a new file at once serialize, and the second finds the work done).
 * Returns the version before and after.
 */
export function migrate(
  db: Db,
  path: string,
  now: () => Date,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  checkOrder(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const readApplied = db.prepare<[], AppliedRow>('SELECT version, name FROM schema_migrations ORDER BY version');
  const insert = db.prepare<[number, string, string]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const before = readApplied.all();
  checkApplied(path, before, migrations);
  const from = before.at(-1)?.version ?? 0;

  // Reopening an up-to-date store takes no write lock: only pending migrations open a transaction.
  for (const m of migrations.filter((x) => x.version > from)) {
    db.transaction(() => {
      const applied = readApplied.all();
      checkApplied(path, applied, migrations);
      if ((applied.at(-1)?.version ?? 0) >= m.version) return;
      db.exec(m.sql);
      insert.run(m.version, m.name, now().toISOString());
    }).immediate();
  }
  return { from, to: latestVersion(migrations) };
}

/** The schema version of an open store (0 for an empty file). */
export function schemaVersion(db: Db): number {
  const row = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations').get();
  return row?.v ?? 0;
}
