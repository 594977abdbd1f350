import type { DeploymentKey } from '@flotilla/common';
import { matches, parseSelector, type Labels, type Requirement } from './selector.js';

export interface ClusterDef {
  name: string;
  labels: Labels;
}

export interface GroupDef {
  name: string;
  /** A label selector string, e.g. `env=prod,region in (eu,us)`. */
  selector: string;
}

export interface EnvironmentDef {
  name: string;
  repo: string;
  branch: string;
  /** The clusters it deploys to: a group, a selector, or both (a cluster must satisfy both). */
  group?: string;
  selector?: string;
}

export interface TargetDef {
  name: string;
  repo: string;
  path: string;
  environments: readonly string[];
}

/** A deployment targeting decided: its target to render at the environment's branch head for its cluster. */
export interface Placement extends DeploymentKey {
  repo: string;
  branch: string;
  path: string;
  /** The groups the cluster belongs to (for Fleet's clusterGroup customizations). */
  groups: string[];
}

export interface Problem {
  code: 'UNKNOWN_GROUP' | 'UNKNOWN_ENVIRONMENT' | 'REPO_MISMATCH' | 'TARGET_CONFLICT' | 'TARGET_OVERLAP';
  message: string;
  environment?: string;
  target?: string;
  cluster?: string;
  /** TARGET_OVERLAP (see ownership.ts): the deployment that holds the objects, where, and the first few of them. */
  holder?: { environment: string; target: string };
  clusters?: string[];
  objects?: string[];
  objectCount?: number;
}

export interface TargetingResult {
  placements: Placement[];
  problems: Problem[];
}

/** Which groups each cluster belongs to. */
export function groupMembership(clusters: readonly ClusterDef[], groups: readonly GroupDef[]): Map<string, string[]> {
  const parsed = groups.map((g) => ({ name: g.name, reqs: parseSelector(g.selector) }));
  const out = new Map<string, string[]>();
  for (const c of clusters) {
    out.set(
      c.name,
      parsed.filter((g) => matches(g.reqs, c.labels)).map((g) => g.name),
    );
  }
  return out;
}

/**
 * The clusters an environment deploys to: those matching its group's selector and its own (both
 * when it has both). One definition, for placement and for what the API shows.
 */
export function environmentMembers<C extends ClusterDef>(
  env: Pick<EnvironmentDef, 'name' | 'group' | 'selector'>,
  clusters: readonly C[],
  groups: readonly GroupDef[],
): C[] {
  return environmentClusters(env, clusters, new Map(groups.map((g) => [g.name, parseSelector(g.selector)])), []);
}

function environmentClusters<C extends ClusterDef>(
  env: Pick<EnvironmentDef, 'name' | 'group' | 'selector'>,
  clusters: readonly C[],
  groupReqs: ReadonlyMap<string, Requirement[]>,
  problems: Problem[],
): C[] {
  let reqs: Requirement[] = env.selector ? parseSelector(env.selector) : [];
  if (env.group !== undefined) {
    const g = groupReqs.get(env.group);
    if (!g) {
      problems.push({
        code: 'UNKNOWN_GROUP',
        environment: env.name,
        message: `environment ${env.name} deploys to group "${env.group}", which does not exist; create it or change the environment`,
      });
      return [];
    }
    reqs = [...reqs, ...g];
  }
  // An environment with neither a group nor a selector deploys nowhere, never everywhere.
  if (env.group === undefined && !env.selector) return [];
  return clusters.filter((c) => matches(reqs, c.labels));
}

/**
 * clusters × groups × environments × targets → placements. Pure and deterministic (sorted output).
 * A cluster that would receive the same target from two environments gets neither, and a
 * TARGET_CONFLICT problem names both: the caller keeps what is deployed until it is resolved.
 */
export function place(
  clusters: readonly ClusterDef[],
  groups: readonly GroupDef[],
  environments: readonly EnvironmentDef[],
  targets: readonly TargetDef[],
): TargetingResult {
  const problems: Problem[] = [];
  const groupReqs = new Map(groups.map((g) => [g.name, parseSelector(g.selector)]));
  const membership = groupMembership(clusters, groups);
  const envByName = new Map(environments.map((e) => [e.name, e]));
  const envClusters = new Map(environments.map((e) => [e.name, environmentClusters(e, clusters, groupReqs, problems)]));
  const byKey = new Map<string, Placement[]>();

  for (const t of targets) {
    for (const envName of t.environments) {
      const env = envByName.get(envName);
      if (!env) {
        problems.push({
          code: 'UNKNOWN_ENVIRONMENT',
          target: t.name,
          environment: envName,
          message: `target ${t.name} names environment "${envName}", which does not exist`,
        });
        continue;
      }
      if (env.repo !== t.repo) {
        problems.push({
          code: 'REPO_MISMATCH',
          target: t.name,
          environment: env.name,
          message: `target ${t.name} is in repo ${t.repo} but environment ${env.name} follows repo ${env.repo}`,
        });
        continue;
      }
      for (const c of envClusters.get(env.name) ?? []) {
        const key = `${c.name}\u0000${t.name}`;
        const list = byKey.get(key) ?? [];
        list.push({
          cluster: c.name,
          environment: env.name,
          target: t.name,
          repo: t.repo,
          branch: env.branch,
          path: t.path,
          groups: membership.get(c.name) ?? [],
        });
        byKey.set(key, list);
      }
    }
  }

  const placements: Placement[] = [];
  for (const list of byKey.values()) {
    const first = list[0];
    if (list.length === 1 && first) placements.push(first);
    else if (first) {
      problems.push({
        code: 'TARGET_CONFLICT',
        cluster: first.cluster,
        target: first.target,
        message:
          `cluster ${first.cluster} would receive target ${first.target} from environments ` +
          `${list.map((p) => p.environment).join(' and ')}; change the environments' clusters so only one selects it`,
      });
    }
  }
  placements.sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) ||
      a.environment.localeCompare(b.environment) ||
      a.target.localeCompare(b.target),
  );
  return { placements, problems };
}
