import type { FleetYaml, LabelSelector, TargetCriteria, TargetCustomization } from './fleet-types.js';
import { fromLabelSelector, matches, type Labels } from '../target/selector.js';

export type { Labels };

/** What targeting knows about a cluster. */
export interface ClusterFacts {
  readonly name: string;
  readonly labels: Labels;
  /** The groups the cluster belongs to. */
  readonly groups: readonly string[];
  /** The labels of each group, for `clusterGroupSelector`; a group not listed has no labels. */
  readonly groupLabels?: Readonly<Record<string, Labels>>;
}

/** Kubernetes label selector semantics: every matchLabels entry and every expression must hold;
 * `{}` matches everything; `NotIn` holds when the key is absent. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  return matches(fromLabelSelector(selector), labels);
}

function matchesInGroup(criteria: TargetCriteria, cluster: ClusterFacts, group: string | undefined): boolean {
  if (criteria.clusterName && criteria.clusterName !== cluster.name) return false;
  if (criteria.clusterGroup && criteria.clusterGroup !== group) return false;
  if (criteria.clusterGroupSelector !== undefined) {
    const groupLabels = group === undefined ? {} : (cluster.groupLabels?.[group] ?? {});
    if (!selectorMatches(criteria.clusterGroupSelector, groupLabels)) return false;
  }
  return criteria.clusterSelector === undefined || selectorMatches(criteria.clusterSelector, cluster.labels);
}

/**
 * Fleet's ClusterMatcher: every criterion that is set must hold, and a target with no criterion at
 * all matches no cluster. As in Fleet, an empty `clusterName` or `clusterGroup` is unset, while an
 * empty selector (`clusterSelector: {}`) is set and matches every cluster. The group criteria are checked one group at a time, so `clusterGroup` and
 * `clusterGroupSelector` together must hold for the same group.
 */
export function criteriaMatch(criteria: TargetCriteria, cluster: ClusterFacts): boolean {
  const { clusterName, clusterGroup, clusterGroupSelector, clusterSelector } = criteria;
  if (!clusterName && !clusterGroup && clusterGroupSelector === undefined && clusterSelector === undefined) {
    return false;
  }
  if (cluster.groups.length === 0) return matchesInGroup(criteria, cluster, undefined);
  return cluster.groups.some((group) => matchesInGroup(criteria, cluster, group));
}

/** The first targetCustomization that matches the cluster, as Fleet picks it; undefined if none does.
 * A match with `doNotDeploy: true` is returned as is: the caller decides to deploy nothing. */
export function matchCustomization(fleet: FleetYaml, cluster: ClusterFacts): TargetCustomization | undefined {
  return fleet.targetCustomizations?.find((customization) => criteriaMatch(customization, cluster));
}
