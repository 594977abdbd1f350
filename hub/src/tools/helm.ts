import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARG_RULES, argProblem, type ArgRuleName } from './args.js';
import { runTool, ToolError } from './run.js';
import type { Sandbox } from './sandbox.js';

export interface HelmTemplateOptions {
  helm: string;
  sandbox: Sandbox;
  /** A chart directory or a chart archive (.tgz) on disk: remote charts are fetched before, by the hub. */
  chart: string;
  releaseName: string;
  namespace: string;
  /** Merged values (after per-cluster customization and label substitution). */
  values?: Record<string, unknown>;
  /** Values files, in order, before `values`. */
  valuesFiles?: string[];
  kubeVersion?: string;
  /** What the chart may read besides itself: the exported repository tree it and its values files are in. */
  readable: readonly string[];
  what: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

function checked(o: HelmTemplateOptions, rule: ArgRuleName, field: string, value: string): string {
  const problem = argProblem(value, ARG_RULES[rule]);
  if (problem !== undefined) throw new ToolError(`${o.what}: ${field} ${JSON.stringify(value)} ${problem}`);
  return value;
}

/** `helm template`: a chart rendered to multi-document YAML, with no cluster and no network access. */
export async function helmTemplate(o: HelmTemplateOptions): Promise<string> {
  const releaseName = checked(o, 'releaseName', 'release name', o.releaseName);
  const namespace = checked(o, 'namespace', 'namespace', o.namespace);
  const tmp = await mkdtemp(join(tmpdir(), 'flotilla-helm-'));
  try {
    // `--flag=value` and `--` before the positional arguments: no value can be read as a flag.
    const args = ['template', `--namespace=${namespace}`, '--include-crds'];
    if (o.kubeVersion) args.push(`--kube-version=${checked(o, 'kubeVersion', 'Kubernetes version', o.kubeVersion)}`);
    for (const f of o.valuesFiles ?? []) args.push(`--values=${f}`);
    if (o.values && Object.keys(o.values).length > 0) {
      const file = join(tmp, 'values.json');
      await writeFile(file, JSON.stringify(o.values));
      args.push(`--values=${file}`);
    }
    args.push('--', releaseName, o.chart);
    // Made here so that the sandbox can mount its scratch space over it inside the read-only `tmp`.
    const home = join(tmp, 'home');
    await mkdir(home);
    return await runTool(o.helm, args, {
      sandbox: o.sandbox,
      what: o.what,
      timeoutMs: o.timeoutMs ?? 60_000,
      maxOutputBytes: o.maxOutputBytes ?? 64 * 2 ** 20,
      readOnly: [o.chart, ...o.readable, tmp],
      scratch: [home],
      // Helm's cache, config and data in an empty scratch directory: nothing of the hub's home, and
      // no repositories or plugins configured.
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HOME: home,
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_DATA_HOME: join(home, 'data'),
      },
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
