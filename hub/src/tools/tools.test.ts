import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBinaries, type KubeBinaries } from '@flotilla/test';
import { helmTemplate } from './helm.js';
import { kustomizeBuild } from './kustomize.js';
import { ToolError } from './run.js';
import { bwrapSandbox } from './sandbox.js';

const sandbox = bwrapSandbox();

const write = (root: string, files: Record<string, string>) => {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), c);
  }
};

describe('rendering tools (real helm and kustomize binaries)', () => {
  let bins: KubeBinaries;
  let root: string;
  type Rendered = { kind?: string; metadata?: { name?: string; namespace?: string }; data?: Record<string, string> };
  const docs = (yaml: string) =>
    parseAllDocuments(yaml)
      .map((d) => d.toJS() as Rendered)
      .filter(Boolean);

  beforeAll(() => {
    bins = locateBinaries();
    root = mkdtempSync(join(tmpdir(), 'flotilla-tools-'));
    write(root, {
      'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'chart/values.yaml': 'color: blue\nreplicas: 1\n',
      'chart/templates/cm.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: {{ .Release.Name }}-config',
        '  namespace: {{ .Release.Namespace }}',
        'data:',
        '  color: {{ .Values.color | quote }}',
        '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
        '',
      ].join('\n'),
      'kust/kustomization.yaml': 'namePrefix: prod-\nresources:\n  - cm.yaml\n',
      'kust/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: "1"\n',
      'broken/kustomization.yaml': 'resources:\n  - missing.yaml\n',
      'escape/kustomization.yaml': 'resources:\n  - ../kust/cm.yaml\n',
    });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('helm template renders values, namespace and the cluster Kubernetes version', async () => {
    const out = await helmTemplate({
      helm: bins.helm,
      chart: join(root, 'chart'),
      releaseName: 'web',
      namespace: 'shop',
      values: { color: 'green' },
      kubeVersion: 'v1.31.4',
      sandbox,
      readable: [root],
      what: 'helm chart apps/web',
    });
    const [cm] = docs(out);
    expect(cm).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: 'shop' },
      data: { color: 'green', kube: 'v1.31.4' },
    });
  });

  it('names the chart when helm fails, and caps the output', async () => {
    const base = { helm: bins.helm, sandbox, readable: [root], releaseName: 'x', namespace: 'x' };
    await expect(helmTemplate({ ...base, chart: join(root, 'nope'), what: 'helm chart apps/nope' })).rejects.toThrow(
      /^helm chart apps\/nope: .*(not found|no such file)/is,
    );
    await expect(
      helmTemplate({ ...base, chart: join(root, 'chart'), what: 'helm chart apps/web', maxOutputBytes: 64 }),
    ).rejects.toThrow(/output exceeds 64 bytes/);
  });

  it('kustomize build renders, and refuses broken and escaping kustomizations', async () => {
    const [cm] = docs(
      await kustomizeBuild({
        kustomize: bins.kustomize,
        sandbox,
        readable: [root],
        dir: join(root, 'kust'),
        what: 'kustomize kust',
      }),
    );
    expect(cm?.metadata?.name).toBe('prod-app');
    await expect(
      kustomizeBuild({
        kustomize: bins.kustomize,
        sandbox,
        readable: [root],
        dir: join(root, 'broken'),
        what: 'kustomize broken',
      }),
    ).rejects.toThrow(ToolError);
    await expect(
      kustomizeBuild({
        kustomize: bins.kustomize,
        sandbox,
        readable: [root],
        dir: join(root, 'escape'),
        what: 'kustomize escape',
      }),
    ).rejects.toThrow(/kustomize escape: .*(security|outside|restrict)/is);
  });

  it('says when a tool is missing', async () => {
    await expect(
      kustomizeBuild({
        kustomize: '/nonexistent/kustomize',
        sandbox,
        readable: [root],
        dir: root,
        what: 'kustomize x',
      }),
    ).rejects.toThrow(/not installed/);
  });
});
