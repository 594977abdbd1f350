import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBinaries } from '@flotilla/test';
import { RenderCache } from './cache.js';
import { planRender, mergeValues, type RenderCluster, type RenderTools } from './target.js';
import { bwrapSandbox } from '../tools/sandbox.js';

const FILES: Record<string, string> = {
  'apps/plain/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {a: "1"}\n',
  'apps/broken/ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n',
  'apps/broken/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n',
  'apps/chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'apps/chart/values.yaml': 'replicas: 1\nhost: none\n',
  'apps/chart/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\ndata:\n  host: {{ .Values.host | quote }}\n  replicas: {{ .Values.replicas | quote }}\n',
  'apps/chart/fleet.yaml': [
    'defaultNamespace: shop',
    'helm:',
    '  values:',
    '    host: "web.${ .ClusterLabels.region }.example.com"',
    'diff:',
    '  comparePatches:',
    '  - {apiVersion: apps/v1, kind: Deployment, name: web, jsonPointers: [/spec/replicas]}',
    'targetCustomizations:',
    '- name: canary',
    '  clusterName: canary-1',
    '  doNotDeploy: true',
    '- name: prod',
    '  clusterSelector: {matchLabels: {env: prod}}',
    '  helm: {values: {replicas: 3}}',
    '',
  ].join('\n'),
  'apps/kust/kustomization.yaml': 'namePrefix: k-\nresources: [cm.yaml]\n',
  'apps/kust/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n',
  'apps/nochart/fleet.yaml': 'helm:\n  chart: ./missing\n',
  'apps/vf/Chart.yaml': 'apiVersion: v2\nname: vf\nversion: 0.1.0\n',
  'apps/vf/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: {{ .Values.a | quote }}\n  b: {{ .Values.b | quote }}\n',
  'apps/vf/values.yaml': 'a: chart\nb: chart\n',
  'apps/vf/values-prod.yaml': 'a: file\nb: file\n',
  'apps/vf/fleet.yaml': 'helm:\n  releaseName: custom\n  valuesFiles: [values-prod.yaml]\n  values: {b: inline}\n',
  'apps/badfleet/fleet.yaml': 'helm:\n  valeus: {}\n',
};

describe('planRender: a target for a cluster', () => {
  let root: string;
  let tools: RenderTools;
  const cluster = (name: string, labels: Record<string, string>): RenderCluster => ({ name, labels, groups: [] });
  const render = async (path: string, c: RenderCluster) => {
    const plan = await planRender({ root, path, target: 'web', cluster: c, tools });
    return { plan, bundle: plan.skip ? undefined : await plan.run() };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-render-'));
    for (const [p, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(root, p)), { recursive: true });
      await writeFile(join(root, p), text);
    }
    const bins = locateBinaries();
    tools = { helm: bins.helm, kustomize: bins.kustomize, sandbox: bwrapSandbox(), chartCache: join(root, '.charts') };
  });

  afterAll(() => rm(root, { recursive: true, force: true }));

  it('renders plain YAML, Kustomize and Helm', async () => {
    const c = cluster('a', { region: 'ap' });
    expect((await render('apps/plain', c)).plan.kind).toBe('yaml');
    const k = await render('apps/kust', c);
    expect([k.plan.kind, k.bundle?.objects[0]?.metadata.name]).toEqual(['kustomize', 'k-app']);
    const h = await render('apps/chart', c);
    expect(h.plan.kind).toBe('helm');
    expect(h.bundle?.objects[0]).toMatchObject({ metadata: { name: 'web', namespace: 'shop' } });
  });

  it('layers chart values, values files, then inline values, under the release name given', async () => {
    const r = await render('apps/vf', cluster('a', {}));
    expect(r.bundle?.objects[0]).toMatchObject({ metadata: { name: 'custom' }, data: { a: 'file', b: 'inline' } });
  });

  it('gives three differently labelled clusters three outputs, and skips doNotDeploy', async () => {
    const eu = await render('apps/chart', cluster('eu-1', { env: 'prod', region: 'eu' }));
    const us = await render('apps/chart', cluster('us-1', { env: 'prod', region: 'us' }));
    const dev = await render('apps/chart', cluster('dev-1', { env: 'dev', region: 'eu' }));
    const data = [eu, us, dev].map((r) => r.bundle?.objects[0]?.data);
    expect(data).toEqual([
      { host: 'web.eu.example.com', replicas: '3' },
      { host: 'web.us.example.com', replicas: '3' },
      { host: 'web.eu.example.com', replicas: '1' },
    ]);
    expect(new Set([eu, us, dev].map((r) => r.bundle?.digest)).size).toBe(3);
    expect(eu.plan.customization).toBe('prod');
    expect(eu.plan.options).toMatchObject({
      defaultNamespace: 'shop',
      selfHeal: true,
      ignore: [
        { object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, jsonPointers: ['/spec/replicas'] },
      ],
    });
    const canary = await render('apps/chart', cluster('canary-1', { env: 'prod', region: 'eu' }));
    expect(canary.plan.skip).toBe(true);
  });

  it('shares one render between clusters whose effective inputs are the same', async () => {
    const cache = new RenderCache();
    const a = await planRender({
      root,
      path: 'apps/chart',
      target: 'web',
      cluster: cluster('x', { env: 'prod', region: 'eu', team: 'a' }),
      tools,
    });
    const b = await planRender({
      root,
      path: 'apps/chart',
      target: 'web',
      cluster: cluster('y', { env: 'prod', region: 'eu', team: 'b' }),
      tools,
    });
    expect(a.cacheKey).toBe(b.cacheKey);
    const [ra, rb] = await Promise.all([cache.get(a.cacheKey, a.run), cache.get(b.cacheKey, b.run)]);
    expect(ra.digest).toBe(rb.digest);
    expect([cache.misses, cache.hits]).toEqual([1, 1]);
  });

  it("keys the render by the target's own Helm values too, and refuses them on a path that is not a chart", async () => {
    const plan = (helm?: { values?: Record<string, unknown>; valuesFiles?: string[] }) =>
      planRender({ root, path: 'apps/vf', target: 'web', cluster: cluster('a', {}), tools, ...(helm ? { helm } : {}) });
    const keys = await Promise.all(
      [undefined, { values: { a: 'x' } }, { values: { a: 'x' } }, { valuesFiles: ['values-prod.yaml'] }].map(
        async (h) => (await plan(h)).cacheKey,
      ),
    );
    expect(new Set(keys).size).toBe(3);
    expect(keys[1]).toBe(keys[2]);
    const overValues = await (await plan({ values: { b: 'api' } })).run();
    expect(overValues.objects[0]?.data).toEqual({ a: 'file', b: 'api' });
    await expect(
      planRender({ root, path: 'apps/plain', target: 'web', cluster: cluster('a', {}), tools, helm: { values: {} } }),
    ).rejects.toThrow(/target web sets Helm values in its options, but "apps\/plain" renders as plain YAML/);
  });

  it('names the file and line, the chart, or the fleet.yaml field that is wrong', async () => {
    const c = cluster('a', {});
    await expect(render('apps/broken', c)).rejects.toThrow(/apps\/broken\/bad\.yaml:\d+:\d+: /);
    await expect(render('apps/nochart', c)).rejects.toThrow(/helm chart apps\/nochart\/missing/);
    await expect(render('apps/badfleet', c)).rejects.toThrow(/apps\/badfleet\/fleet\.yaml:2:.*helm\.valeus/);
    await expect(render('apps/nowhere', c)).rejects.toThrow(/path "apps\/nowhere" does not exist/);
    await expect(render('../outside', c)).rejects.toThrow(/\.\./);
  });
});

describe('mergeValues', () => {
  it.each([
    [{ a: 1, b: { c: 1, d: 2 } }, { b: { c: 9 } }, { a: 1, b: { c: 9, d: 2 } }],
    [{ list: [1, 2] }, { list: [3] }, { list: [3] }],
    [{ a: 1 }, undefined, { a: 1 }],
    [{ a: { b: 1 } }, { a: null }, { a: null }],
  ])('%j ← %j = %j', (base, over, out) => expect(mergeValues(base, over)).toEqual(out));
});
