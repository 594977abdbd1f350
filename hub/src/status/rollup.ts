import { worstState, type BundleStateName } from '@flotilla/proto';

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

/** A cluster's liveness: Stale is not Failed, it only says the hub has not heard from it lately. */
export const CLUSTER_CONDITIONS = ['Connected', 'Stale', 'NeverSeen', 'Revoked'] as const;
export type ClusterCondition = (typeof CLUSTER_CONDITIONS)[number];

export function clusterCondition(c: ClusterView, now: Date, staleAfterMs: number): ClusterCondition {
  if (c.revokedAt) return 'Revoked';
  if (!c.lastSeenAt) return 'NeverSeen';
  return now.getTime() - Date.parse(c.lastSeenAt) > staleAfterMs ? 'Stale' : 'Connected';
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
