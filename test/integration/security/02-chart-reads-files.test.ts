import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, renderWorld, type RenderWorld } from './render-support.js';

/**
 * Finding 2: symlinks were checked for plain YAML but not inside Helm charts. `files/a -> /etc/passwd`,
 * `files/b -> ../../../../../../admin.token` (relative to the exported tree, it reaches the hub's data
 * directory) and `{{ .Files.Get "files/b" }}` put /etc/passwd and the admin token into a ConfigMap that
 * the agent downloaded. Kustomize could read them the same way.
 */
const CHART = {
  'Chart.yaml': 'apiVersion: v2\nname: leak\nversion: 0.1.0\n',
  'templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: leak',
    'data:',
    '  passwd: {{ .Files.Get "files/a" | quote }}',
    '  token: {{ .Files.Get "files/b" | quote }}',
    '',
  ].join('\n'),
};

// trees/<repo>/<commit>/apps/<target>/files/b: six levels up is the data directory.
const TO_DATA_DIR = '../../../../../../';

describe('finding 2: a chart or a kustomization cannot read files of the hub', () => {
  let w: RenderWorld;

  beforeAll(async () => {
    w = await renderWorld({ leak: 'apps/leak', values: 'apps/values', kust: 'apps/kust', good: 'apps/good' });
    const files: Record<string, string | { link: string }> = {
      'apps/good/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n',
      'apps/leak/files/a': { link: '/etc/passwd' },
      'apps/leak/files/b': { link: `${TO_DATA_DIR}admin.token` },
      // A values file that is a link to the hub's key.
      'apps/values/Chart.yaml': CHART['Chart.yaml'],
      'apps/values/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\ndata: {{ toYaml .Values.data | nindent 2 }}\n',
      'apps/values/fleet.yaml': 'helm:\n  valuesFiles: [stolen.yaml]\n',
      'apps/values/stolen.yaml': { link: '../../../../../hub.key' },
      // A kustomization whose resource is a link out of the tree.
      'apps/kust/kustomization.yaml': 'resources:\n  - token.yaml\n',
      'apps/kust/token.yaml': { link: `${TO_DATA_DIR.slice(3)}admin.token` },
    };
    for (const [k, v] of Object.entries(CHART)) files[`apps/leak/${k}`] = v;
    await w.commitAndRender(files);
  }, 120_000);

  afterAll(() => w?.stop());

  it('refuses a chart holding a symlink out of the repository, naming it', () => {
    expect(w.failure('leak')).toMatch(
      /apps\/leak\/files\/a is a symlink that resolves outside the repository; a Helm chart may not use it/,
    );
    expect(w.bundles('leak')).toEqual([]);
  });

  it('refuses a values file that is a symlink out of the repository', () => {
    expect(w.failure('values')).toMatch(/stolen\.yaml is a symlink that resolves outside the repository/);
  });

  it('refuses a kustomization in a tree holding such a link', () => {
    expect(w.failure('kust')).toMatch(/is a symlink that resolves outside the repository; kustomize apps\/kust/);
  });

  it('no bundle holds the token, the key or /etc/passwd; the good target renders', () => {
    const all = ['leak', 'values', 'kust', 'good'].flatMap((t) => w.bundles(t)).join('\n');
    expect(all).not.toContain(ADMIN_TOKEN);
    expect(all).not.toMatch(/root:x:0:0/);
    expect(w.failure('good')).toBeUndefined();
  });
});
