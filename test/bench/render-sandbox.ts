// What the render sandbox costs per render: `helm template` and `kustomize build` of small inputs,
// run alternately uncontained and in bubblewrap, wall time per render (min / median / max).
//   npm run bench:render-sandbox -- [--runs 40]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tools as hubTools } from '@flotilla/hub';
import { locateBinaries } from '../harness/kube/binaries.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' } } });
const runs = Number(values.runs);
const bins = locateBinaries();
const root = mkdtempSync(join(tmpdir(), 'flotilla-bench-sandbox-'));
const files: Record<string, string> = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'chart/values.yaml': 'replicas: 2\n',
  'chart/templates/deploy.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n' +
    '  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n' +
    '    spec: {containers: [{name: web, image: nginx}]}\n',
  'kust/kustomization.yaml': 'namePrefix: prod-\nresources: [cm.yaml]\n',
  'kust/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n',
};
for (const [p, text] of Object.entries(files)) {
  mkdirSync(join(root, p, '..'), { recursive: true });
  writeFileSync(join(root, p), text);
}

const sandboxes = { none: hubTools.noSandbox, bwrap: await hubTools.openSandbox('bwrap') };
const renders = {
  helm: (sandbox: hubTools.Sandbox) =>
    hubTools.helmTemplate({
      helm: bins.helm,
      sandbox,
      chart: join(root, 'chart'),
      releaseName: 'web',
      namespace: 'shop',
      readable: [root],
      what: 'bench chart',
    }),
  kustomize: (sandbox: hubTools.Sandbox) =>
    hubTools.kustomizeBuild({
      kustomize: bins.kustomize,
      sandbox,
      dir: join(root, 'kust'),
      readable: [root],
      what: 'bench',
    }),
};

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const f = (v: number | undefined) => (v ?? 0).toFixed(1);
  return `${f(s[0])} / ${f(s[Math.floor(s.length / 2)])} / ${f(s.at(-1))} ms`;
};

console.log(`render sandbox cost: ${runs} renders each, alternating; Node ${process.version}`);
for (const [tool, render] of Object.entries(renders)) {
  const times: Record<string, number[]> = { none: [], bwrap: [] };
  for (const sandbox of Object.values(sandboxes)) await render(sandbox); // warm the page cache
  for (let i = 0; i < runs; i++) {
    for (const [name, sandbox] of Object.entries(sandboxes)) {
      const t0 = performance.now();
      await render(sandbox);
      times[name]?.push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const extra = median(times.bwrap ?? []) - median(times.none ?? []);
  console.log(
    `${tool}: uncontained ${stats(times.none ?? [])}, bubblewrap ${stats(times.bwrap ?? [])} ` +
      `(min / median / max); the sandbox adds ${extra.toFixed(1)} ms at the median`,
  );
}
rmSync(root, { recursive: true, force: true });
