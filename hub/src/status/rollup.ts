import { worstState, type BundleStateName } from '@flotilla/proto';
import { CLUSTER_CONDITIONS, type ClusterCondition } from '@flotilla/proto/api';

export interface DeploymentView {
  cluster: string;
  target: string;
  environment: string;
  state: BundleStateName;
}

export interface ClusterView {
  name: string;
  lastSeenAt?: string;
  revokedAt?: string;
}

export { CLUSTER_CONDITIONS, type ClusterCondition };

/** What the hub knows of its agents at one moment: the clock, and which clusters hold a connection to it now. */
export interface Liveness {
  now: Date;
  /** An agent silent this long is Stale. */
  staleAfterMs: number;
  /** Clusters with a connection to this hub process now (the transport's view; empty after a restart). */
  connected: ReadonlySet<string>;
}

/**
 * A cluster's liveness. Connected only while its agent holds a connection to this hub and was heard
 * within the window: a last-seen time alone survives a hub restart and would call clusters Connected
 * that have not reconnected. Disconnected: heard lately, but no connection now (the hub restarted, or
 * the agent's connection dropped); Stale: silent longer than the window. Stale is not Failed.
 */
export function clusterCondition(c: ClusterView, l: Liveness): ClusterCondition {
  if (c.revokedAt) return 'Revoked';
  if (!c.lastSeenAt) return 'NeverSeen';
  if (l.now.getTime() - Date.parse(c.lastSeenAt) > l.staleAfterMs) return 'Stale';
  return l.connected.has(c.name) ? 'Connected' : 'Disconnected';
}

export interface Rollup {
  state: BundleStateName;
  counts: Partial<Record<BundleStateName, number>>;
  total: number;
}

function rollupOf(items: readonly DeploymentView[]): Rollup {
  const counts: Partial<Record<BundleStateName, number>> = {};
  for (const d of items) counts[d.state] = (counts[d.state] ?? 0) + 1;
  return { state: worstState(items.map((d) => d.state)), counts, total: items.length };
}

/** Groups deployments by a key and rolls each group up: the worst state wins. Pure. */
export function rollupBy(
  deployments: readonly DeploymentView[],
  key: (d: DeploymentView) => string,
): Map<string, Rollup> {
  const groups = new Map<string, DeploymentView[]>();
  for (const d of deployments) {
    const k = key(d);
    groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  return new Map([...groups].map(([k, items]) => [k, rollupOf(items)]));
}

export const rollupAll = (deployments: readonly DeploymentView[]): Rollup => rollupOf(deployments);
