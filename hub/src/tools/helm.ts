import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run.js';

export interface HelmTemplateOptions {
  helm: string;
  /** A chart directory, or a chart name when `repo` is given. */
  chart: string;
  repo?: string;
  version?: string;
  releaseName: string;
  namespace: string;
  /** Merged values (after per-cluster customization and label substitution). */
  values?: Record<string, unknown>;
  /** Values files, in order, before `values`. */
  valuesFiles?: string[];
  kubeVersion?: string;
  /** Helm's cache/config/data live here, never in the user's home. */
  helmHome: string;
  what: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/** `helm template`: a chart rendered to multi-document YAML, with no cluster access. */
export async function helmTemplate(o: HelmTemplateOptions): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), 'flotilla-helm-'));
  try {
    const args = ['template', o.releaseName, o.chart, '--namespace', o.namespace, '--include-crds'];
    if (o.repo) args.push('--repo', o.repo);
    if (o.version) args.push('--version', o.version);
    if (o.kubeVersion) args.push('--kube-version', o.kubeVersion);
    for (const f of o.valuesFiles ?? []) args.push('--values', f);
    if (o.values && Object.keys(o.values).length > 0) {
      const file = join(tmp, 'values.json');
      await writeFile(file, JSON.stringify(o.values));
      args.push('--values', file);
    }
    return await runTool(o.helm, args, {
      what: o.what,
      timeoutMs: o.timeoutMs ?? 60_000,
      maxOutputBytes: o.maxOutputBytes ?? 64 * 2 ** 20,
      env: {
        PATH: process.env.PATH,
        HELM_CACHE_HOME: join(o.helmHome, 'cache'),
        HELM_CONFIG_HOME: join(o.helmHome, 'config'),
        HELM_DATA_HOME: join(o.helmHome, 'data'),
      },
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
