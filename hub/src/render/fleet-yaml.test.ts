import { describe, expect, it } from 'vitest';
import { FleetYamlInvalidError, FleetYamlUnsupportedError, YamlSyntaxError } from './errors.js';
import { parseFleetYaml } from './fleet-yaml.js';

const FULL = `
name: web
defaultNamespace: web
namespace: web-prod
labels:
  team: shop
paused: false
keepResources: true
deleteNamespace: false
namespaceLabels: {owner: shop}
helm:
  chart: ./chart
  repo: https://charts.example.com
  version: "1.2.0"
  releaseName: web
  takeOwnership: true
  force: false
  atomic: true
  maxHistory: 3
  timeoutSeconds: 300
  valuesFiles: [values-eu.yaml]
  values:
    replicas: 2
    image: {tag: "1.0", pullPolicy: null}
kustomize:
  dir: overlays/prod
yaml:
  overlays: [eu, prod]
rolloutStrategy:
  maxUnavailable: 15%
  partitions: [{name: canary, clusterName: c1}]
correctDrift: {enabled: true, force: false, keepFailHistory: true}
diff:
  comparePatches:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    namespace: web
    operations:
    - {op: remove, path: /spec/replicas}
    jsonPointers: [/spec/template/metadata/annotations]
ignore:
  conditions:
  - {type: Active, status: "False"}
dependsOn:
- name: db
- selector: {matchLabels: {app: cache}}
targetCustomizations:
- name: eu
  clusterSelector:
    matchLabels: {region: eu}
    matchExpressions:
    - {key: env, operator: In, values: [prod]}
  helm:
    values: {replicas: 3}
  yaml: {overlays: [eu]}
- name: lab
  clusterName: lab-1
  doNotDeploy: true
- name: group
  clusterGroup: canaries
  clusterGroupSelector: {}
`;

describe('parseFleetYaml', () => {
  it('reads every documented field into the typed form', () => {
    const fleet = parseFleetYaml(FULL);
    expect(fleet).toMatchObject({
      name: 'web',
      namespace: 'web-prod',
      helm: { version: '1.2.0', maxHistory: 3, values: { replicas: 2, image: { tag: '1.0', pullPolicy: null } } },
      yaml: { overlays: ['eu', 'prod'] },
      rolloutStrategy: { maxUnavailable: '15%' },
      diff: { comparePatches: [{ kind: 'Deployment', operations: [{ op: 'remove', path: '/spec/replicas' }] }] },
      ignore: { conditions: [{ type: 'Active', status: 'False' }] },
      dependsOn: [{ name: 'db' }, { selector: { matchLabels: { app: 'cache' } } }],
    });
    expect(fleet.targetCustomizations?.map((t) => t.name)).toEqual(['eu', 'lab', 'group']);
    expect(fleet.targetCustomizations?.[0]?.clusterSelector?.matchExpressions).toEqual([
      { key: 'env', operator: 'In', values: ['prod'] },
    ]);
    expect(fleet.targetCustomizations?.[2]?.clusterGroupSelector).toEqual({});
  });

  it.each([
    ['an empty file', '', {}],
    ['a comment', '# nothing\n', {}],
    ['null fields, as absent', 'helm:\nnamespace: ~\ntargetCustomizations:\n', {}],
    ['YAML 1.1 booleans', 'keepResources: yes\npaused: no\n', { keepResources: true, paused: false }],
  ])('reads %s', (_name, text, expected) => {
    expect(parseFleetYaml(text)).toEqual(expected);
  });

  it('applies merge keys inside known maps', () => {
    const text = 'targetCustomizations:\n- &eu\n  name: eu\n  clusterName: a\n- <<: *eu\n  clusterName: b\n';
    expect(parseFleetYaml(text).targetCustomizations).toEqual([
      { name: 'eu', clusterName: 'a' },
      { name: 'eu', clusterName: 'b' },
    ]);
  });

  it.each([
    [
      'a top-level typo',
      'namespace: a\nnamspace: b\n',
      'fleet.yaml:2:1: unknown field "namspace"; did you mean "namespace"?',
    ],
    [
      'a nested typo',
      'helm:\n  chart: a\n  valeus: {}\n',
      'fleet.yaml:3:3: unknown field "helm.valeus"; did you mean "helm.values"?',
    ],
    [
      'a typo in a customization',
      'targetCustomizations:\n- name: a\n- name: b\n  clusterSelectr: {}\n',
      'fleet.yaml:4:3: unknown field "targetCustomizations[1].clusterSelectr"; did you mean',
    ],
    [
      'an unknown selector operator',
      'dependsOn:\n- selector:\n    matchExpressions:\n    - {key: a, operator: Equals}\n',
      'fleet.yaml:4:26: dependsOn[0].selector.matchExpressions[0].operator must be one of In, NotIn, Exists, DoesNotExist',
    ],
    [
      'a selector expression without a key',
      'targetCustomizations:\n- clusterSelector:\n    matchExpressions:\n    - {operator: Exists}\n',
      'fleet.yaml:4:7: targetCustomizations[0].clusterSelector.matchExpressions[0] has no "key"; it needs key and operator',
    ],
    ['an unknown field, no suggestion', 'banana: 1\n', 'fleet.yaml:1:1: unknown field "banana"'],
    [
      'an unquoted version',
      'helm:\n  version: 1.2\n',
      'fleet.yaml:2:12: helm.version must be a string, found 1.2; quote it',
    ],
    ['a string boolean', 'paused: "true"\n', 'fleet.yaml:1:9: paused must be true or false, found "true"'],
    ['a fractional integer', 'helm:\n  maxHistory: 1.5\n', 'helm.maxHistory must be an integer, found 1.5'],
    ['a map for a list', 'yaml:\n  overlays: {a: b}\n', 'fleet.yaml:2:13: yaml.overlays must be a list'],
    ['a list for values', 'helm:\n  values: [a]\n', 'fleet.yaml:2:11: helm.values must be a map'],
    ['a numeric label', 'labels:\n  tier: 1\n', 'fleet.yaml:2:9: labels.tier must be a string, found 1'],
    ['a list at the top', '- a\n', 'fleet.yaml:1:1: fleet.yaml must be a map'],
    ['two documents', 'name: a\n---\nname: b\n', 'fleet.yaml:3:1: fleet.yaml must hold one YAML document'],
    [
      'a kustomize dir climbing out',
      'kustomize:\n  dir: ../../secrets\n',
      'fleet.yaml:2:8: kustomize.dir "../../secrets" must be a path inside the repository (relative, no "..")',
    ],
    [
      'an absolute helm chart',
      'helm:\n  chart: /etc\n',
      'fleet.yaml:2:10: helm.chart "/etc" must be a path inside the repository',
    ],
    [
      'a values file climbing out',
      'helm:\n  valuesFiles: [ok.yaml, a/../../../x.yaml]\n',
      'fleet.yaml:2:26: helm.valuesFiles[1] "a/../../../x.yaml" must be a path inside the repository',
    ],
    [
      'an overlay climbing out, in a customization',
      'targetCustomizations:\n- name: a\n  yaml: {overlays: [..]}\n',
      'fleet.yaml:3:21: targetCustomizations[0].yaml.overlays[0] ".." must be a path inside the repository',
    ],
    [
      'a release name that is a helm flag',
      'helm:\n  releaseName: "--post-renderer=/bin/sh"\n',
      'fleet.yaml:2:16: helm.releaseName "--post-renderer=/bin/sh" must be a DNS-1123 name',
    ],
    ['a release name longer than Helm allows', `helm:\n  releaseName: ${'a'.repeat(54)}\n`, 'helm.releaseName "aaaa'],
    [
      'a namespace that is not a DNS label',
      'targetCustomizations:\n- name: a\n  namespace: "--output-dir=/tmp"\n',
      'fleet.yaml:3:14: targetCustomizations[0].namespace "--output-dir=/tmp" must be a DNS-1123 label',
    ],
    ['a version that is a flag', 'helm:\n  version: "--devel"\n', 'helm.version "--devel" must be a chart version'],
    [
      'a chart repository that is a file',
      'helm:\n  repo: file:///etc\n',
      'fleet.yaml:2:9: helm.repo "file:///etc" must be an http(s) URL',
    ],
    [
      'a chart repository URL with a password',
      'helm:\n  repo: https://bot:hunter2@charts.example.com\n',
      'fleet.yaml:2:9: helm.repo must not carry credentials in the URL',
    ],
  ])('refuses %s, naming the field path and the line', (_name, text, message) => {
    const run = () => parseFleetYaml(text);
    expect(run).toThrow(FleetYamlInvalidError);
    expect(run).toThrow(message);
  });

  it.each([
    [
      'helm.valuesFrom',
      'helm:\n  valuesFrom:\n  - secretKeyRef: {name: s, key: values.yaml}\n',
      'a/fleet.yaml:3:3: helm.valuesFrom is not supported: it reads ConfigMaps and Secrets',
    ],
    [
      'serviceAccount',
      'targetCustomizations:\n- name: a\n  serviceAccount: deployer\n',
      'a/fleet.yaml:3:19: targetCustomizations[0].serviceAccount is not supported: the agent applies with its own',
    ],
    [
      'overrideTargets',
      'overrideTargets:\n- clusterGroup: prod\n',
      'a/fleet.yaml:2:1: overrideTargets is not supported: which clusters a target reaches is set by its environments',
    ],
    [
      'paused: true',
      'paused: true\n',
      'a/fleet.yaml:1:9: paused: true is not supported: Flotilla holds a revision back',
    ],
  ])('refuses %s as unsupported, saying why', (_name, text, message) => {
    const run = () => parseFleetYaml(text, 'a/fleet.yaml');
    expect(run).toThrow(FleetYamlUnsupportedError);
    expect(run).toThrow(message);
  });

  it('reports YAML syntax errors with the file name it was given', () => {
    expect(() => parseFleetYaml('helm: [\n', 'apps/web/fleet.yaml')).toThrow(YamlSyntaxError);
    expect(() => parseFleetYaml('helm: [\n', 'apps/web/fleet.yaml')).toThrow(/^apps\/web\/fleet\.yaml:\d+:\d+: /);
  });
});

describe('parseFleetYaml and aliases', () => {
  it('stops a file whose aliases expand exponentially', () => {
    const values = Array.from({ length: 60 }, () => 'x').join(', ');
    const items = Array.from({ length: 60 }, () => '*e').join(', ');
    const targets = Array.from({ length: 60 }, () => '*t').join(', ');
    const text =
      `helm: {values: {v: &v [${values}], e: &e {key: k, operator: In, values: *v}}}\n` +
      `targetCustomizations: [&t {clusterSelector: {matchExpressions: [${items}]}}, ${targets}]\n`;
    expect(() => parseFleetYaml(text)).toThrow(/fleet\.yaml expands to more than 100000 values/);
  });
});
