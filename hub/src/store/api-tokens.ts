import type { ApiRole } from '@flotilla/proto/api';
import type { Db } from './db.js';
import { guarded, StoreNotFoundError } from './errors.js';
import { compact } from './json.js';

/** A token's role: the API's roles (API_ROLES), from least to most. */
export type ApiTokenRole = ApiRole;

/** A bearer token of the HTTP API: only its sha256 is kept. */
export interface ApiToken {
  name: string;
  tokenHash: string;
  role: ApiTokenRole;
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export type NewApiToken = Omit<ApiToken, 'createdAt' | 'revokedAt' | 'lastUsedAt'>;

export interface ApiTokenStore {
  /** STORE_CONFLICT when the name is taken (even by a revoked token: names are never reused). */
  create(token: NewApiToken): ApiToken;
  get(name: string): ApiToken | undefined;
  getByHash(tokenHash: string): ApiToken | undefined;
  /** Oldest first. */
  list(): ApiToken[];
  /** STORE_NOT_FOUND when there is none; revoking twice keeps the first time. */
  revoke(name: string): ApiToken;
  /** Records a use, at most once a minute per token (a read-mostly API should not write on every call). */
  touch(name: string): void;
  count(): number;
}

interface Row {
  name: string;
  token_hash: string;
  role: ApiTokenRole;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const fromRow = (r: Row): ApiToken =>
  compact({
    name: r.name,
    tokenHash: r.token_hash,
    role: r.role,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at ?? undefined,
    revokedAt: r.revoked_at ?? undefined,
    lastUsedAt: r.last_used_at ?? undefined,
  });

export function apiTokenStore(db: Db, now: () => Date): ApiTokenStore {
  const insert = db.prepare<[string, string, string, string, string, string | null], Row>(
    `INSERT INTO api_tokens (name, token_hash, role, created_at, created_by, expires_at)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const byName = db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE name = ?');
  const byHash = db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE token_hash = ?');
  const all = db.prepare<[], Row>('SELECT * FROM api_tokens ORDER BY created_at, name');
  const revoke = db.prepare<[string, string], Row>(
    'UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE name = ? RETURNING *',
  );
  const touch = db.prepare<[string, string, string]>(
    'UPDATE api_tokens SET last_used_at = ? WHERE name = ? AND (last_used_at IS NULL OR last_used_at < ?)',
  );
  const count = db.prepare<[], number>('SELECT count(*) FROM api_tokens').pluck();
  return {
    create: (t) =>
      guarded(`API token "${t.name}"`, () => {
        const row = insert.get(t.name, t.tokenHash, t.role, now().toISOString(), t.createdBy, t.expiresAt ?? null);
        if (!row) throw new Error(`API token "${t.name}": insert returned no row`);
        return fromRow(row);
      }),
    get: (name) => {
      const row = byName.get(name);
      return row && fromRow(row);
    },
    getByHash: (hash) => {
      const row = byHash.get(hash);
      return row && fromRow(row);
    },
    list: () => all.all().map(fromRow),
    revoke: (name) => {
      const row = revoke.get(now().toISOString(), name);
      if (!row) throw new StoreNotFoundError(`API token "${name}" does not exist`);
      return fromRow(row);
    },
    touch: (name) => {
      const t = now();
      touch.run(t.toISOString(), name, new Date(t.getTime() - 60_000).toISOString());
    },
    count: () => count.get() ?? 0,
  };
}
