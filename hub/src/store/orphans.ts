import type { Db } from './db.js';

/** A bundle a cluster's agent must forget without deleting its objects (its target removed with --orphan). */
export interface OrphanedBundle {
  cluster: string;
  /** `environment/target`, as on the wire. */
  bundleId: string;
  requestedAt: string;
}

export interface OrphanStore {
  add(cluster: string, bundleId: string): void;
  /** Ordered by cluster, then bundle id. */
  list(cluster?: string): OrphanedBundle[];
  /** Whether the cluster has any (one indexed probe: asked on every heartbeat). */
  has(cluster: string): boolean;
  /** Forgets the cluster's marks (its agent applied a desired state naming them); how many. */
  clear(cluster: string): number;
  /** Forgets a mark: the bundle id is desired on the cluster again (its target was added back). */
  delete(cluster: string, bundleId: string): boolean;
}

interface Row {
  cluster: string;
  bundle_id: string;
  requested_at: string;
}

export function orphanStore(db: Db, now: () => Date): OrphanStore {
  const insert = db.prepare<[string, string, string]>(
    `INSERT INTO orphaned_bundles (cluster, bundle_id, requested_at) VALUES (?, ?, ?)
     ON CONFLICT (cluster, bundle_id) DO UPDATE SET requested_at = excluded.requested_at`,
  );
  const all = db.prepare<{ cluster: string | null }, Row>(
    'SELECT * FROM orphaned_bundles WHERE (@cluster IS NULL OR cluster = @cluster) ORDER BY cluster, bundle_id',
  );
  const any = db.prepare<[string], number>('SELECT 1 FROM orphaned_bundles WHERE cluster = ? LIMIT 1').pluck();
  const clearAll = db.prepare<[string]>('DELETE FROM orphaned_bundles WHERE cluster = ?');
  const clearOne = db.prepare<[string, string]>('DELETE FROM orphaned_bundles WHERE cluster = ? AND bundle_id = ?');
  return {
    add: (cluster, bundleId) => void insert.run(cluster, bundleId, now().toISOString()),
    list: (cluster) =>
      all
        .all({ cluster: cluster ?? null })
        .map((r) => ({ cluster: r.cluster, bundleId: r.bundle_id, requestedAt: r.requested_at })),
    has: (cluster) => any.get(cluster) !== undefined,
    clear: (cluster) => clearAll.run(cluster).changes,
    delete: (cluster, bundleId) => clearOne.run(cluster, bundleId).changes > 0,
  };
}
