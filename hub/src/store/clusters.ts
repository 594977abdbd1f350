import { randomUUID } from 'node:crypto';
import { inTransaction, type Db } from './db.js';
import { guarded, StoreConflictError, StoreNotFoundError } from './errors.js';
import { checkStringMap, compact, decodeStringMap, encode, type Labels } from './json.js';

export interface Cluster {
  id: string;
  name: string;
  labels: Labels;
  /** The hash of the per-cluster credential; absent before registration completes and after revocation. */
  credentialHash?: string;
  kubernetesVersion?: string;
  agentVersion?: string;
  lastSeenAt?: string;
  createdAt: string;
  revokedAt?: string;
}

export interface NewCluster {
  /** Generated (a UUID) when absent. */
  id?: string;
  name: string;
  labels?: Labels;
  credentialHash?: string;
  kubernetesVersion?: string;
  agentVersion?: string;
}

/** What a heartbeat or hello tells about the agent; absent fields keep their stored value. */
export interface ClusterSighting {
  agentVersion?: string;
  kubernetesVersion?: string;
}

export interface ClusterStore {
  /** Registers a cluster; STORE_CONFLICT when its name (or id) is taken. */
  create(cluster: NewCluster): Cluster;
  get(name: string): Cluster | undefined;
  getById(id: string): Cluster | undefined;
  getByCredentialHash(hash: string): Cluster | undefined;
  /**
   * Whose credential this is, and whether it was revoked: what authenticating an agent's call needs,
   * without decoding the whole cluster (it runs for every call and bundle fetch).
   */
  credentialOwner(hash: string): { name: string; revokedAt?: string } | undefined;
  /** Records that the cluster's agent was heard from now (a heartbeat); false when there is no such cluster. */
  touch(name: string): boolean;
  /** All clusters, by name. */
  list(): Cluster[];
  setLabels(name: string, labels: Labels): Cluster;
  /** Stores a new credential hash and lifts a revocation: issuing a credential readmits the cluster. */
  setCredential(name: string, credentialHash: string): Cluster;
  /**
   * Records when the cluster was revoked: its credential never authenticates again (until a new one
   * is issued), and an agent presenting it is told it was revoked, not that it is unknown.
   */
  revoke(name: string): Cluster;
  recordSeen(name: string, sighting?: ClusterSighting): Cluster;
  /** Deletes the cluster and its deployments; false when there was none. */
  delete(name: string): boolean;
}

export interface ClusterRow {
  id: string;
  name: string;
  labels: string;
  credential_hash: string | null;
  kubernetes_version: string | null;
  agent_version: string | null;
  last_seen_at: string | null;
  created_at: string;
  revoked_at: string | null;
}

export function clusterFromRow(row: ClusterRow): Cluster {
  return compact({
    id: row.id,
    name: row.name,
    labels: decodeStringMap(row.labels, `cluster "${row.name}" labels`),
    credentialHash: row.credential_hash ?? undefined,
    kubernetesVersion: row.kubernetes_version ?? undefined,
    agentVersion: row.agent_version ?? undefined,
    lastSeenAt: row.last_seen_at ?? undefined,
    createdAt: row.created_at,
    revokedAt: row.revoked_at ?? undefined,
  });
}

export function clusterToRow(cluster: Cluster): ClusterRow {
  return {
    id: cluster.id,
    name: cluster.name,
    labels: encode(cluster.labels),
    credential_hash: cluster.credentialHash ?? null,
    kubernetes_version: cluster.kubernetesVersion ?? null,
    agent_version: cluster.agentVersion ?? null,
    last_seen_at: cluster.lastSeenAt ?? null,
    created_at: cluster.createdAt,
    revoked_at: cluster.revokedAt ?? null,
  };
}

export function clusterStore(db: Db, now: () => Date): ClusterStore {
  const insert = db.prepare<ClusterRow>(
    `INSERT INTO clusters (id, name, labels, credential_hash, kubernetes_version, agent_version, last_seen_at,
       created_at, revoked_at)
     VALUES (@id, @name, @labels, @credential_hash, @kubernetes_version, @agent_version, @last_seen_at,
       @created_at, @revoked_at)`,
  );
  const byName = db.prepare<[string], ClusterRow>('SELECT * FROM clusters WHERE name = ?');
  const byId = db.prepare<[string], ClusterRow>('SELECT * FROM clusters WHERE id = ?');
  const byHash = db.prepare<[string], ClusterRow>('SELECT * FROM clusters WHERE credential_hash = ?');
  const owner = db.prepare<[string], { name: string; revoked_at: string | null }>(
    'SELECT name, revoked_at FROM clusters WHERE credential_hash = ?',
  );
  const seen = db.prepare<[string, string]>('UPDATE clusters SET last_seen_at = ? WHERE name = ?');
  const all = db.prepare<[], ClusterRow>('SELECT * FROM clusters ORDER BY name');
  const updateLabels = db.prepare<[string, string], ClusterRow>(
    'UPDATE clusters SET labels = ? WHERE name = ? RETURNING *',
  );
  const updateCredential = db.prepare<[string, string], ClusterRow>(
    'UPDATE clusters SET credential_hash = ?, revoked_at = NULL WHERE name = ? RETURNING *',
  );
  const updateRevoked = db.prepare<[string, string], ClusterRow>(
    'UPDATE clusters SET revoked_at = ? WHERE name = ? RETURNING *',
  );
  const updateSeen = db.prepare<[string, string | null, string | null, string], ClusterRow>(
    `UPDATE clusters SET last_seen_at = ?, agent_version = coalesce(?, agent_version),
       kubernetes_version = coalesce(?, kubernetes_version)
     WHERE name = ? RETURNING *`,
  );
  const remove = db.prepare<[string]>('DELETE FROM clusters WHERE name = ?');

  const found = (name: string, row: ClusterRow | undefined): Cluster => {
    if (!row) throw new StoreNotFoundError(`cluster "${name}" does not exist`);
    return clusterFromRow(row);
  };
  const what = (name: string) => `cluster "${name}"`;

  return {
    create(input) {
      const cluster: Cluster = {
        ...input,
        id: input.id ?? randomUUID(),
        labels: checkStringMap(input.labels ?? {}, `cluster "${input.name}" labels`),
        createdAt: now().toISOString(),
      };
      return guarded(what(input.name), () =>
        inTransaction(db, () => {
          if (byName.get(cluster.name)) throw new StoreConflictError(`cluster "${cluster.name}" already exists`);
          const owner = byId.get(cluster.id);
          if (owner) {
            throw new StoreConflictError(`cluster id ${cluster.id} is already taken by cluster "${owner.name}"`);
          }
          insert.run(clusterToRow(cluster));
          return found(cluster.name, byName.get(cluster.name));
        }),
      );
    },
    get: (name) => {
      const row = byName.get(name);
      return row && clusterFromRow(row);
    },
    getById: (id) => {
      const row = byId.get(id);
      return row && clusterFromRow(row);
    },
    getByCredentialHash: (hash) => {
      const row = byHash.get(hash);
      return row && clusterFromRow(row);
    },
    credentialOwner: (hash) => {
      const row = owner.get(hash);
      return row && (row.revoked_at === null ? { name: row.name } : { name: row.name, revokedAt: row.revoked_at });
    },
    touch: (name) => seen.run(now().toISOString(), name).changes === 1,
    list: () => all.all().map(clusterFromRow),
    setLabels: (name, labels) =>
      found(name, updateLabels.get(encode(checkStringMap(labels, `cluster "${name}" labels`)), name)),
    setCredential: (name, hash) =>
      guarded(what(name), () =>
        inTransaction(db, () => {
          const owner = byHash.get(hash);
          if (owner && owner.name !== name) {
            throw new StoreConflictError(
              `cluster "${name}": that credential is already issued to cluster "${owner.name}"`,
            );
          }
          return found(name, updateCredential.get(hash, name));
        }),
      ),
    revoke: (name) => found(name, updateRevoked.get(now().toISOString(), name)),
    recordSeen: (name, sighting = {}) =>
      found(
        name,
        updateSeen.get(now().toISOString(), sighting.agentVersion ?? null, sighting.kubernetesVersion ?? null, name),
      ),
    delete: (name) => remove.run(name).changes > 0,
  };
}
