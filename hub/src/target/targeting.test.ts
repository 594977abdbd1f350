import { describe, expect, it } from 'vitest';
import {
  groupMembership,
  place,
  type ClusterDef,
  type EnvironmentDef,
  type GroupDef,
  type TargetDef,
} from './targeting.js';

const clusters: ClusterDef[] = [
  { name: 'dev-1', labels: { env: 'dev' } },
  { name: 'stg-1', labels: { env: 'staging', region: 'eu' } },
  { name: 'prod-eu', labels: { env: 'prod', region: 'eu' } },
  { name: 'prod-us', labels: { env: 'prod', region: 'us' } },
];
const groups: GroupDef[] = [
  { name: 'dev', selector: 'env=dev' },
  { name: 'staging', selector: 'env=staging' },
  { name: 'prod', selector: 'env=prod' },
  { name: 'eu', selector: 'region=eu' },
];
const environments: EnvironmentDef[] = [
  { name: 'dev', repo: 'config', branch: 'dev', group: 'dev' },
  { name: 'staging', repo: 'config', branch: 'staging', group: 'staging' },
  { name: 'prod', repo: 'config', branch: 'prod', group: 'prod' },
];
const web: TargetDef = { name: 'web', repo: 'config', path: 'apps/web', environments: ['dev', 'staging', 'prod'] };

const summary = (r: ReturnType<typeof place>) =>
  r.placements.map((p) => `${p.cluster}:${p.environment}:${p.target}@${p.branch}`);

describe('targeting', () => {
  it('places a target on every cluster of each of its environments', () => {
    const r = place(clusters, groups, environments, [web]);
    expect(r.problems).toEqual([]);
    expect(summary(r)).toEqual([
      'dev-1:dev:web@dev',
      'prod-eu:prod:web@prod',
      'prod-us:prod:web@prod',
      'stg-1:staging:web@staging',
    ]);
    expect(r.placements.find((p) => p.cluster === 'prod-eu')?.groups).toEqual(['prod', 'eu']);
  });

  it('moves a cluster at once when its labels change', () => {
    const relabelled = clusters.map((c) => (c.name === 'stg-1' ? { ...c, labels: { env: 'prod', region: 'eu' } } : c));
    expect(summary(place(relabelled, groups, environments, [web]))).toContain('stg-1:prod:web@prod');
    const unlabelled = clusters.map((c) => (c.name === 'dev-1' ? { ...c, labels: {} } : c));
    expect(summary(place(unlabelled, groups, environments, [web])).some((s) => s.startsWith('dev-1'))).toBe(false);
  });

  it('intersects an environment group with its own selector', () => {
    const envs: EnvironmentDef[] = [
      { name: 'prod-eu', repo: 'config', branch: 'prod', group: 'prod', selector: 'region=eu' },
    ];
    const t: TargetDef = { ...web, environments: ['prod-eu'] };
    expect(summary(place(clusters, groups, envs, [t]))).toEqual(['prod-eu:prod-eu:web@prod']);
  });

  it('deploys nowhere when an environment names neither group nor selector', () => {
    const envs: EnvironmentDef[] = [{ name: 'empty', repo: 'config', branch: 'main' }];
    expect(place(clusters, groups, envs, [{ ...web, environments: ['empty'] }]).placements).toEqual([]);
  });

  it('reports unknown groups and environments, and repo mismatches, placing nothing for them', () => {
    const envs: EnvironmentDef[] = [
      { name: 'qa', repo: 'config', branch: 'qa', group: 'nope' },
      { name: 'other', repo: 'elsewhere', branch: 'main', group: 'dev' },
    ];
    const r = place(clusters, groups, envs, [{ ...web, environments: ['qa', 'ghost', 'other'] }]);
    expect(r.placements).toEqual([]);
    expect(r.problems.map((p) => p.code).sort()).toEqual(['REPO_MISMATCH', 'UNKNOWN_ENVIRONMENT', 'UNKNOWN_GROUP']);
    expect(r.problems.find((p) => p.code === 'UNKNOWN_GROUP')?.message).toContain('group "nope"');
  });

  it('refuses to give one cluster the same target from two environments', () => {
    const envs: EnvironmentDef[] = [...environments, { name: 'eu-all', repo: 'config', branch: 'eu', group: 'eu' }];
    const r = place(clusters, groups, envs, [{ ...web, environments: ['staging', 'prod', 'eu-all'] }]);
    expect(summary(r)).toEqual(['prod-us:prod:web@prod']);
    const conflicts = r.problems.filter((p) => p.code === 'TARGET_CONFLICT').map((p) => p.cluster);
    expect(conflicts.sort()).toEqual(['prod-eu', 'stg-1']);
  });

  it('computes group membership per cluster', () => {
    expect(groupMembership(clusters, groups).get('stg-1')).toEqual(['staging', 'eu']);
  });
});
