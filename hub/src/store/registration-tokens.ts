import type { Db } from './db.js';
import { guarded } from './errors.js';
import { compact, decodeStringMap, encode, type Labels } from './json.js';

export interface RegistrationToken {
  tokenHash: string;
  clusterName: string;
  labels: Labels;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
  /** sha256 of the retry key the registration that used the token presented (when it sent one). */
  usedKeyHash?: string;
  createdBy?: string;
}

export type NewRegistrationToken = Omit<RegistrationToken, 'createdAt' | 'usedAt' | 'usedKeyHash'>;

export interface RegistrationTokenStore {
  put(token: NewRegistrationToken): RegistrationToken;
  get(tokenHash: string): RegistrationToken | undefined;
  /**
   * Marks the token used, remembering the registration's retry key hash (if any); false when it was
   * already used (a replay).
   */
  markUsed(tokenHash: string, keyHash?: string): boolean;
  list(clusterName?: string): RegistrationToken[];
}

interface Row {
  token_hash: string;
  cluster_name: string;
  labels: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_key_hash: string | null;
  created_by: string | null;
}

const fromRow = (r: Row): RegistrationToken =>
  compact({
    tokenHash: r.token_hash,
    clusterName: r.cluster_name,
    labels: decodeStringMap(r.labels, `registration token for cluster "${r.cluster_name}" labels`),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    usedAt: r.used_at ?? undefined,
    usedKeyHash: r.used_key_hash ?? undefined,
    createdBy: r.created_by ?? undefined,
  });

export function registrationTokenStore(db: Db, now: () => Date): RegistrationTokenStore {
  const insert = db.prepare<[string, string, string, string, string, string | null], Row>(
    `INSERT INTO registration_tokens (token_hash, cluster_name, labels, created_at, expires_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  );
  const one = db.prepare<[string], Row>('SELECT * FROM registration_tokens WHERE token_hash = ?');
  const use = db.prepare<[string, string | null, string]>(
    'UPDATE registration_tokens SET used_at = ?, used_key_hash = ? WHERE token_hash = ? AND used_at IS NULL',
  );
  const all = db.prepare<{ cluster: string | null }, Row>(
    `SELECT * FROM registration_tokens WHERE (@cluster IS NULL OR cluster_name = @cluster) ORDER BY created_at`,
  );
  return {
    put: (t) =>
      guarded(`registration token for cluster "${t.clusterName}"`, () => {
        const row = insert.get(
          t.tokenHash,
          t.clusterName,
          encode(t.labels),
          now().toISOString(),
          t.expiresAt,
          t.createdBy ?? null,
        );
        if (!row) throw new Error('registration token insert returned no row');
        return fromRow(row);
      }),
    get: (hash) => {
      const row = one.get(hash);
      return row && fromRow(row);
    },
    markUsed: (hash, keyHash) => use.run(now().toISOString(), keyHash ?? null, hash).changes === 1,
    list: (cluster) => all.all({ cluster: cluster ?? null }).map(fromRow),
  };
}
