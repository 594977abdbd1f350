import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.js';
import { substituteClusterValues } from './substitute.js';

const cluster = { name: 'eu-1', labels: { env: 'prod', 'example.com/region': 'eu', empty: '' } };

describe('substituteClusterValues', () => {
  it.each([
    ['the cluster name', '${ .ClusterName }', 'eu-1'],
    ['without spaces', '${.ClusterName}', 'eu-1'],
    ['a label by field', '${ .ClusterLabels.env }', 'prod'],
    ['a label by get', '${ get .ClusterLabels "example.com/region" }', 'eu'],
    ['a label by get, parenthesized', '${ (get .ClusterLabels "env") }', 'prod'],
    ['inside text', 'app-${ .ClusterLabels.env }-${ .ClusterName }.example.com', 'app-prod-eu-1.example.com'],
    ['a default, unused', '${ default "dev" .ClusterLabels.env }', 'prod'],
    ['a default for a missing label', '${ default "dev" .ClusterLabels.stage }', 'dev'],
    ['a default for an empty label', '${ default "x" .ClusterLabels.empty }', 'x'],
    ['a default around get', '${ default "us" (get .ClusterLabels "example.com/zone") }', 'us'],
    ['a default with a brace', '${ default "}" .ClusterLabels.stage }', '}'],
    ['a literal ${', '${ "${" } kept', '${ kept'],
    ['text without expressions', 'plain $HOME {x}', 'plain $HOME {x}'],
    ['an empty label', '[${ .ClusterLabels.empty }]', '[]'],
  ])('substitutes %s', (_name, template, expected) => {
    expect(substituteClusterValues(template, cluster)).toBe(expected);
  });

  it('walks maps, lists and keys, leaving other values alone, without touching the input', () => {
    const values = {
      replicas: 3,
      enabled: true,
      nothing: null,
      image: { tag: '${ .ClusterLabels.env }' },
      hosts: ['${ .ClusterName }.example.com', 7],
      'zone-${ .ClusterLabels.env }': 'x',
    };
    const copy = structuredClone(values);
    expect(substituteClusterValues(values, cluster)).toEqual({
      replicas: 3,
      enabled: true,
      nothing: null,
      image: { tag: 'prod' },
      hosts: ['eu-1.example.com', 7],
      'zone-prod': 'x',
    });
    expect(values).toEqual(copy);
  });

  it.each([
    [
      'a missing label',
      { image: { tag: '${ .ClusterLabels.stage }' } },
      'helm.values.image.tag: cluster "eu-1" has no label "stage"',
    ],
    [
      'a missing label by get',
      { a: ['${ get .ClusterLabels "x/y" }'] },
      'helm.values.a[0]: cluster "eu-1" has no label "x/y"',
    ],
    ['an unsupported function', { a: '${ env "HOME" }' }, 'helm.values.a: cannot evaluate ${ env "HOME" }'],
    ['an unsupported field', { a: '${ .ClusterValues.x }' }, 'cannot evaluate'],
    ['an unclosed expression', { a: 'x ${ .ClusterName' }, 'helm.values.a: a "${" is never closed'],
    ['a shell variable', { a: 'echo ${HOME}' }, 'cannot evaluate ${HOME}'],
    ['keys that collide', { 'a-${ .ClusterName }': 1, 'a-eu-1': 2 }, 'two keys become "a-eu-1"'],
  ])('refuses %s, naming the value', (_name, values, message) => {
    const run = () => substituteClusterValues(values, cluster);
    expect(run).toThrow(TemplateError);
    expect(run).toThrow(message);
  });
});
