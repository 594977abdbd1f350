import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../bundle/index.js';
import { matchCustomization, type ClusterFacts } from './customize.js';
import { parseFleetYaml } from './fleet-yaml.js';
import { loadManifests, readManifestFiles } from './load.js';
import { applyYamlOverlays } from './overlays.js';
import { substituteClusterValues } from './substitute.js';

// The pure pieces wired together the way the hub will: fleet.yaml + plain YAML + overlays → one
// bundle digest per distinct output, on a real checkout in a temp directory.

const FLEET_YAML = `
defaultNamespace: web
helm:
  values:
    host: "web.\${ .ClusterLabels.region }.example.com"
targetCustomizations:
- name: prod-eu
  clusterSelector: {matchLabels: {env: prod, region: eu}}
  yaml: {overlays: [prod, eu]}
- name: prod
  clusterSelector: {matchLabels: {env: prod}}
  yaml: {overlays: [prod]}
- name: dev
  clusterSelector: {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}
`;

const FILES: Record<string, string> = {
  'apps/web/fleet.yaml': FLEET_YAML,
  'apps/web/deployment.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  paused: false\n',
  'apps/web/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n',
  'apps/web/overlays/prod/deployment_patch.yaml': 'spec:\n  replicas: 3\n  paused: null\n',
  'apps/web/overlays/eu/gdpr.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gdpr}\ndata: {mode: strict}\n',
};

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'flotilla-pipeline-'));
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function render(cluster: ClusterFacts) {
  const fleet = parseFleetYaml(FILES['apps/web/fleet.yaml'] ?? '', 'apps/web/fleet.yaml');
  const customization = matchCustomization(fleet, cluster);
  const overlays = [];
  for (const name of customization?.yaml?.overlays ?? []) {
    const dir = `apps/web/overlays/${name}`;
    overlays.push({ dir, files: await readManifestFiles(root, dir) });
  }
  const objects = applyYamlOverlays(await loadManifests(root, 'apps/web'), overlays, 'apps/web');
  const bundle = canonicalize(objects);
  const values = substituteClusterValues(fleet.helm?.values, cluster);
  return { customization: customization?.name, bundle, values };
}

describe('rendering a target for three differently labelled clusters', () => {
  const clusters: ClusterFacts[] = [
    { name: 'eu-1', labels: { env: 'prod', region: 'eu' }, groups: [] },
    { name: 'us-1', labels: { env: 'prod', region: 'us' }, groups: [] },
    { name: 'dev-1', labels: { env: 'dev', region: 'us' }, groups: [] },
  ];

  it('gives each its own customization and its own bundle', async () => {
    const [eu, us, dev] = await Promise.all(clusters.map(render));
    expect([eu?.customization, us?.customization, dev?.customization]).toEqual(['prod-eu', 'prod', 'dev']);
    expect(eu?.bundle.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/gdpr',
      'Service/web',
      'Deployment/web',
    ]);
    expect(us?.bundle.objects.find((o) => o.kind === 'Deployment')?.spec).toEqual({ replicas: 3 });
    expect(dev?.bundle.objects.find((o) => o.kind === 'Deployment')?.spec).toEqual({ replicas: 1, paused: false });
    expect(new Set([eu?.bundle.digest, us?.bundle.digest, dev?.bundle.digest]).size).toBe(3);
    expect(eu?.values).toEqual({ host: 'web.eu.example.com' });
    expect(dev?.values).toEqual({ host: 'web.us.example.com' });
  });

  it('gives clusters with identical output the identical digest', async () => {
    const other = await render({ name: 'us-2', labels: { env: 'prod', region: 'us', extra: 'x' }, groups: ['g'] });
    const us = await render(clusters[1] as ClusterFacts);
    expect(other.bundle.digest).toBe(us.bundle.digest);
    expect(other.bundle.bytes.equals(us.bundle.bytes)).toBe(true);
  });
});
