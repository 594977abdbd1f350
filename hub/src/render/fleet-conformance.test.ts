import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBinaries } from '@flotilla/test';
import { bwrapSandbox } from '../tools/sandbox.js';
import { planRender, type RenderTools } from './target.js';

// docs/fleet-yaml.md, the conformance table: the rows whose Fleet behaviour Flotilla does not (yet)
// have, and that it accepts as documented no-ops. Each is shown to leave the output unchanged: the
// same bundle and the same deploy options as the fleet.yaml without it.

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {a: "1"}\n';
const CHART: Record<string, string> = {
  'Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'values.yaml': 'host: none\n',
  'templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  host: {{ .Values.host | quote }}\n',
};

const YAML_NO_OPS: [string, string][] = [
  ['name', 'name: my-bundle'],
  ['labels', 'labels: {team: shop}'],
  ['paused: false', 'paused: false'],
  ['rolloutStrategy', 'rolloutStrategy: {maxUnavailable: 15%, partitions: [{name: canary, clusterName: c1}]}'],
  ['ignore.conditions', 'ignore: {conditions: [{type: Active, status: "False"}]}'],
  ['correctDrift.force and keepFailHistory', 'correctDrift: {force: true, keepFailHistory: true}'],
  ['forceSyncGeneration', 'forceSyncGeneration: 3'],
  ['imageScans', 'imageScans: [{image: nginx, tagName: web}]'],
  ['deleteCRDResources', 'deleteCRDResources: true'],
  [
    'dependsOn[].selector and acceptedStates',
    'dependsOn: [{selector: {matchLabels: {app: db}}, acceptedStates: [Ready]}]',
  ],
];

const HELM_NO_OPS: [string, string][] = [
  ['helm.takeOwnership', 'takeOwnership: true'],
  ['helm.force', 'force: true'],
  ['helm.atomic', 'atomic: true'],
  ['helm.maxHistory', 'maxHistory: 2'],
  ['helm.timeoutSeconds', 'timeoutSeconds: 30'],
  ['helm.waitForJobs', 'waitForJobs: true'],
  ['helm.disableDNS', 'disableDNS: true'],
  ['helm.skipSchemaValidation', 'skipSchemaValidation: true'],
  ['helm.disableDependencyUpdate', 'disableDependencyUpdate: true'],
];

describe('fleet.yaml conformance: documented no-ops and Fleet-only behaviour', () => {
  let root: string;
  let tools: RenderTools;
  let n = 0;
  const cluster = { name: 'c1', labels: { region: 'eu' }, groups: [] };

  /** Writes a target of its own (files relative to it) and renders it; its bundle digest and options. */
  const render = async (files: Record<string, string>) => {
    const path = `t${n++}`;
    for (const [p, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path, p)), { recursive: true });
      await writeFile(join(root, path, p), text);
    }
    const plan = await planRender({ root, path, target: 'app', cluster, tools });
    const bundle = await plan.run();
    return { digest: bundle.digest, options: plan.options, objects: bundle.objects };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-conformance-'));
    const bins = locateBinaries();
    tools = { helm: bins.helm, kustomize: bins.kustomize, sandbox: bwrapSandbox(), chartCache: join(root, '.charts') };
  });

  afterAll(() => rm(root, { recursive: true, force: true }));

  it.each(YAML_NO_OPS)('%s: accepted, the bundle and deploy options unchanged', async (_field, line) => {
    const without = await render({ 'cm.yaml': CM, 'fleet.yaml': 'defaultNamespace: web\n' });
    const withIt = await render({ 'cm.yaml': CM, 'fleet.yaml': `defaultNamespace: web\n${line}\n` });
    expect(withIt.digest).toBe(without.digest);
    const { dependsOn: _d, ...options } = withIt.options;
    const { dependsOn: _w, ...expected } = without.options;
    expect(options).toEqual(expected);
  });

  it.each(HELM_NO_OPS)('%s: accepted, the rendered chart unchanged', async (_field, line) => {
    const without = await render({ ...CHART, 'fleet.yaml': 'helm:\n  values: {host: a}\n' });
    const withIt = await render({ ...CHART, 'fleet.yaml': `helm:\n  values: {host: a}\n  ${line}\n` });
    expect(withIt.digest).toBe(without.digest);
    expect(withIt.options).toEqual(without.options);
  });

  it('kustomize.dir: builds the kustomization in that directory', async () => {
    const kustomization = 'namePrefix: k-\nresources: [cm.yaml]\n';
    const r = await render({
      'base/kustomization.yaml': kustomization,
      'base/cm.yaml': CM,
      'fleet.yaml': 'kustomize: {dir: base}\n',
    });
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['k-app']);
  });

  it('correctDrift.enabled: false turns self-heal off, a customization deciding over the top level', async () => {
    const off = await render({ 'cm.yaml': CM, 'fleet.yaml': 'correctDrift: {enabled: false}\n' });
    const back = await render({
      'cm.yaml': CM,
      'fleet.yaml':
        'correctDrift: {enabled: false}\ntargetCustomizations:\n- clusterName: c1\n  correctDrift: {enabled: true}\n',
    });
    expect([off.options.selfHeal, back.options.selfHeal]).toEqual([false, true]);
  });

  it('dependsOn[].name: carried to the agent in the deploy options (the agent does not wait on it yet)', async () => {
    const r = await render({ 'cm.yaml': CM, 'fleet.yaml': 'dependsOn: [{name: db}, {selector: {}}]\n' });
    expect(r.options.dependsOn).toEqual(['db']);
  });

  it('helm.disablePreProcess: values keep their ${ } expressions as written', async () => {
    const values = 'helm:\n  values: {host: "web.${ .ClusterLabels.region }"}\n';
    const on = await render({ ...CHART, 'fleet.yaml': values });
    const off = await render({ ...CHART, 'fleet.yaml': `${values}  disablePreProcess: true\n` });
    expect(on.objects[0]?.data).toEqual({ host: 'web.eu' });
    expect(off.objects[0]?.data).toEqual({ host: 'web.${ .ClusterLabels.region }' });
  });
});
