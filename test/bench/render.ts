/**
 * Render-and-hash throughput at the hub: plain YAML (load + validate + canonical form + sha256),
 * Kustomize and Helm, for 1,000 and 4,000 objects. Targets: plain 1,000 ≤ 1 s, 4,000 ≤ 3 s.
 *
 *   npm run bench:render
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { render as r, tools as hubTools } from '@flotilla/hub';
import { locateBinaries } from '../harness/kube/binaries.js';

const bins = locateBinaries();
const root = mkdtempSync(join(tmpdir(), 'flotilla-bench-render-'));

function object(i: number): string {
  switch (i % 3) {
    case 0:
      return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  labels: {app: bench, idx: "${i}"}\ndata:\n  key: "value-${i}"\n  other: "x"\n`;
    case 1:
      return `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\nspec:\n  selector: {app: bench-${i}}\n  ports:\n  - {port: 80, targetPort: 8080, protocol: TCP}\n`;
    default:
      return [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        `  name: deploy-${i}`,
        'spec:',
        '  replicas: 2',
        `  selector: {matchLabels: {app: bench-${i}}}`,
        '  template:',
        `    metadata: {labels: {app: bench-${i}}}`,
        '    spec:',
        '      containers:',
        `      - {name: app, image: "registry.example.com/app:${i}", ports: [{containerPort: 8080}], resources: {requests: {cpu: 10m, memory: 16Mi}}}`,
        '',
      ].join('\n');
  }
}

function writeTarget(dir: string, n: number, perFile = 10): void {
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f * perFile < n; f++) {
    const docs = [];
    for (let i = f * perFile; i < Math.min(n, (f + 1) * perFile); i++) docs.push(object(i));
    writeFileSync(join(dir, `objects-${f}.yaml`), docs.join('---\n'));
  }
}

/** Median of three timed runs after a warm-up; one run only when `once` (slow tools). */
async function time(label: string, fn: () => Promise<{ objects: readonly unknown[] }>, once = false) {
  const runs: number[] = [];
  let count = 0;
  try {
    if (!once) await fn(); // warm-up (JIT, file cache)
    for (let k = 0; k < (once ? 1 : 3); k++) {
      const t0 = performance.now();
      count = (await fn()).objects.length;
      runs.push(performance.now() - t0);
    }
  } catch (err) {
    console.log(`${label.padEnd(34)} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return;
  }
  runs.sort((a, b) => a - b);
  const mid = runs[Math.floor(runs.length / 2)] ?? 0;
  const range = once ? 'single run' : `min ${runs[0]?.toFixed(0)}, max ${runs.at(-1)?.toFixed(0)}`;
  console.log(
    `${label.padEnd(34)} ${String(count).padStart(5)} objects  median ${mid.toFixed(0).padStart(6)} ms  (${range})`,
  );
}

const cluster = { name: 'bench', labels: {}, groups: [] };
const tools = {
  helm: bins.helm,
  kustomize: bins.kustomize,
  sandbox: hubTools.bwrapSandbox(),
  chartCache: join(root, '.charts'),
};
const plan = (path: string) => r.planRender({ root, path, target: 'bench', cluster, tools });

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}); node ${process.version}`);
for (const n of [1000, 4000]) {
  writeTarget(join(root, `plain-${n}`), n);
  await time(`plain YAML ${n}`, async () => (await plan(`plain-${n}`)).run());

  // Kustomize twice: resources only, then with a namePrefix (its transformers cost far more).
  const files = Array.from({ length: Math.ceil(n / 10) }, (_, f) => `  - objects-${f}.yaml`).join('\n');
  for (const [name, extra] of [
    ['resources only', ''],
    ['namePrefix', 'namePrefix: k-\n'],
  ] as const) {
    const dir = `kust-${n}-${extra ? 'prefix' : 'plain'}`;
    writeTarget(join(root, dir), n);
    writeFileSync(join(root, dir, 'kustomization.yaml'), `${extra}resources:\n${files}\n`);
    await time(`kustomize ${name} ${n}`, async () => (await plan(dir)).run(), n > 1000);
  }

  const chart = join(root, `chart-${n}`);
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: bench\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), `count: ${n}\n`);
  writeFileSync(
    join(chart, 'templates', 'objects.yaml'),
    '{{- range $i := until (int .Values.count) }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ $i }}\n  namespace: {{ $.Release.Namespace }}\ndata:\n  key: "value-{{ $i }}"\n{{- end }}\n',
  );
  await time(`helm template ${n}`, async () => (await plan(`chart-${n}`)).run());
}
rmSync(root, { recursive: true, force: true });
