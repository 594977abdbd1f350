import { describe, expect, it } from 'vitest';
import { criteriaMatch, matchCustomization, selectorMatches, type ClusterFacts } from './customize.js';
import { parseFleetYaml } from './fleet-yaml.js';
import type { LabelSelector, TargetCriteria } from './fleet-types.js';

const labels = { env: 'prod', region: 'eu', tier: '' };

describe('selectorMatches', () => {
  it.each<[string, LabelSelector, boolean]>([
    ['the empty selector', {}, true],
    ['matching matchLabels', { matchLabels: { env: 'prod', region: 'eu' } }, true],
    ['a differing label', { matchLabels: { env: 'dev' } }, false],
    ['a missing label', { matchLabels: { zone: 'a' } }, false],
    ['an empty label value', { matchLabels: { tier: '' } }, true],
    ['In, matching', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] }, true],
    ['In, not matching', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, false],
    ['In, key absent', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn, matching', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, true],
    ['NotIn, not matching', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, false],
    ['NotIn, key absent', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['Exists, key absent', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, key present', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, false],
    [
      'labels and expressions, one failing',
      { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] },
      false,
    ],
  ])('%s → %s', (_name, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('criteriaMatch', () => {
  const cluster: ClusterFacts = {
    name: 'eu-1',
    labels,
    groups: ['prod', 'eu'],
    groupLabels: { prod: { stage: 'prod' }, eu: { geo: 'europe' } },
  };
  it.each<[string, TargetCriteria, boolean]>([
    ['no criteria at all (Fleet matches nothing)', { name: 'x' }, false],
    ['empty clusterName and clusterGroup (unset, as in Fleet)', { clusterName: '', clusterGroup: '' }, false],
    ['an empty clusterSelector (matches all)', { clusterSelector: {} }, true],
    ['the cluster name', { clusterName: 'eu-1' }, true],
    ['another cluster name', { clusterName: 'eu-2' }, false],
    ['a group it belongs to', { clusterGroup: 'eu' }, true],
    ['a group it does not belong to', { clusterGroup: 'us' }, false],
    ['a group selector', { clusterGroupSelector: { matchLabels: { geo: 'europe' } } }, true],
    ['a group selector no group matches', { clusterGroupSelector: { matchLabels: { geo: 'asia' } } }, false],
    [
      'group and group selector on the same group',
      { clusterGroup: 'eu', clusterGroupSelector: { matchLabels: { geo: 'europe' } } },
      true,
    ],
    [
      'group and group selector on different groups',
      { clusterGroup: 'prod', clusterGroupSelector: { matchLabels: { geo: 'europe' } } },
      false,
    ],
    ['name and selector, both hold', { clusterName: 'eu-1', clusterSelector: { matchLabels: { env: 'prod' } } }, true],
    ['name and selector, one fails', { clusterName: 'eu-1', clusterSelector: { matchLabels: { env: 'dev' } } }, false],
  ])('%s → %s', (_name, criteria, expected) => {
    expect(criteriaMatch(criteria, cluster)).toBe(expected);
  });

  it('evaluates group criteria against no group for a cluster in no group', () => {
    const alone: ClusterFacts = { name: 'solo', labels: {}, groups: [] };
    expect(criteriaMatch({ clusterName: 'solo' }, alone)).toBe(true);
    expect(criteriaMatch({ clusterGroup: 'eu' }, alone)).toBe(false);
    expect(criteriaMatch({ clusterGroupSelector: {} }, alone)).toBe(true);
  });
});

describe('matchCustomization', () => {
  const fleet = parseFleetYaml(`
targetCustomizations:
- name: lab
  clusterName: lab-1
  doNotDeploy: true
- name: prod-eu
  clusterSelector:
    matchLabels: {env: prod}
    matchExpressions: [{key: region, operator: In, values: [eu, uk]}]
  helm: {values: {replicas: 5}}
- name: prod-other
  clusterSelector: {matchLabels: {env: prod}}
  helm: {values: {replicas: 3}}
- name: canaries
  clusterGroup: canary
`);
  it.each<[string, ClusterFacts, string | undefined]>([
    ['a prod cluster in eu', { name: 'eu-1', labels: { env: 'prod', region: 'eu' }, groups: [] }, 'prod-eu'],
    ['a prod cluster in us', { name: 'us-1', labels: { env: 'prod', region: 'us' }, groups: [] }, 'prod-other'],
    ['a dev cluster in the canary group', { name: 'dev-1', labels: { env: 'dev' }, groups: ['canary'] }, 'canaries'],
    [
      'the lab cluster, first match wins over prod-eu',
      { name: 'lab-1', labels: { env: 'prod', region: 'eu' }, groups: [] },
      'lab',
    ],
    ['a cluster nothing matches', { name: 'dev-2', labels: { env: 'dev' }, groups: ['dev'] }, undefined],
  ])('gives %s the customization %s', (_name, cluster, expected) => {
    expect(matchCustomization(fleet, cluster)?.name).toBe(expected);
  });

  it('returns undefined when there are no customizations', () => {
    expect(matchCustomization({}, { name: 'a', labels: {}, groups: [] })).toBeUndefined();
  });
});
