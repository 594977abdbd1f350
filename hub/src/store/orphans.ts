import type { Db } from './db.js';

/** A deployment a cluster's agent must forget without deleting its objects (its target removed with --orphan). */
export interface OrphanedDeployment {
  cluster: string;
  /** `environment/target` (@flotilla/common's deploymentId), as on the wire. */
  deployment: string;
  requestedAt: string;
}

export interface OrphanStore {
  add(cluster: string, deployment: string): void;
  /** Ordered by cluster, then deployment. */
  list(cluster?: string): OrphanedDeployment[];
  /** Whether the cluster has any (one indexed probe: asked on every heartbeat). */
  has(cluster: string): boolean;
  /** Forgets the cluster's marks (its agent applied a desired state naming them); how many. */
  clear(cluster: string): number;
  /** Forgets a mark: the deployment is desired on the cluster again (its target was added back). */
  delete(cluster: string, deployment: string): boolean;
}

interface Row {
  cluster: string;
  deployment: string;
  requested_at: string;
}

export function orphanStore(db: Db, now: () => Date): OrphanStore {
  const insert = db.prepare<[string, string, string]>(
    `INSERT INTO orphaned_deployments (cluster, deployment, requested_at) VALUES (?, ?, ?)
     ON CONFLICT (cluster, deployment) DO UPDATE SET requested_at = excluded.requested_at`,
  );
  const all = db.prepare<{ cluster: string | null }, Row>(
    'SELECT * FROM orphaned_deployments WHERE (@cluster IS NULL OR cluster = @cluster) ORDER BY cluster, deployment',
  );
  const any = db.prepare<[string], number>('SELECT 1 FROM orphaned_deployments WHERE cluster = ? LIMIT 1').pluck();
  const clearAll = db.prepare<[string]>('DELETE FROM orphaned_deployments WHERE cluster = ?');
  const clearOne = db.prepare<[string, string]>(
    'DELETE FROM orphaned_deployments WHERE cluster = ? AND deployment = ?',
  );
  return {
    add: (cluster, deployment) => void insert.run(cluster, deployment, now().toISOString()),
    list: (cluster) =>
      all
        .all({ cluster: cluster ?? null })
        .map((r) => ({ cluster: r.cluster, deployment: r.deployment, requestedAt: r.requested_at })),
    has: (cluster) => any.get(cluster) !== undefined,
    clear: (cluster) => clearAll.run(cluster).changes,
    delete: (cluster, deployment) => clearOne.run(cluster, deployment).changes > 0,
  };
}
