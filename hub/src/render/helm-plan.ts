import { realpath } from 'node:fs/promises';
import { mergeValues } from '@flotilla/proto/api';
import { join } from 'node:path';
import { canonicalize } from '../bundle/index.js';
import { ARG_RULES, argProblem } from '../tools/args.js';
import { helmTemplate } from '../tools/helm.js';
import { fetchChart } from './charts.js';
import { PathNotFoundError, SymlinkEscapeError, TemplateError } from './errors.js';
import type { FleetYaml, TargetCustomization } from './fleet-types.js';
import { checkRelativePath, posixJoin, realInside } from './load.js';
import { parseManifests } from './manifests.js';
import { substituteClusterValues } from './substitute.js';
import type { DeployOptions, RenderInput, RenderPlan } from './plan-types.js';
import { scanTree } from './tree-scan.js';

export { mergeValues };

/**
 * A local chart and its values files must not reach out of the exported tree: Helm follows symlinks
 * inside a chart (`.Files.Get`), so a link to /etc/passwd or to the hub's keys would end up in a bundle.
 * The sandbox hides those files too; this says which link it was, in every sandbox mode.
 */
async function refuseChartReach(
  root: string,
  chartPath: string | undefined,
  valuesFiles: readonly string[],
): Promise<void> {
  const escaping =
    chartPath === undefined
      ? undefined
      : (await scanTree(root)).escapingSymlinks.find(
          (p) => chartPath === '' || p === chartPath || p.startsWith(`${chartPath}/`),
        );
  if (escaping !== undefined) {
    throw new SymlinkEscapeError(
      `${escaping} is a symlink that resolves outside the repository; a Helm chart may not use it (refusing to render)`,
    );
  }
  const realRoot = await realpath(root);
  for (const f of valuesFiles) {
    if ((await realInside(realRoot, join(realRoot, f), f)) === undefined) {
      throw new PathNotFoundError(`helm values file ${f} does not exist in the repository`);
    }
  }
}

export function helmPlan(
  input: RenderInput,
  path: string,
  fleet: FleetYaml,
  c: TargetCustomization | undefined,
  options: DeployOptions,
  key: (parts: unknown) => string,
): Pick<RenderPlan, 'cacheKey' | 'run'> {
  const helm = { ...fleet.helm, ...c?.helm };
  // fleet.yaml, then its customization, then the target's own options (the API's): later wins.
  const layers = [fleet.helm, c?.helm, input.helm];
  const merged = layers.reduce<unknown>((out, layer) => mergeValues(out, layer?.values ?? {}), {});
  // Fleet's helm.disablePreProcess: `${ }` in values stays as written.
  const values = helm.disablePreProcess === true ? merged : substituteClusterValues(merged, input.cluster);
  // undefined for a chart from a chart repository: fetched by the hub, not read from the tree.
  const chartPath = helm.repo ? undefined : posixJoin(path, checkRelativePath(helm.chart ?? '.').join('/'));
  const valuesFiles = layers
    .flatMap((layer) => layer?.valuesFiles ?? [])
    .map((f) => posixJoin(path, checkRelativePath(f).join('/')));
  const namespace = options.namespace ?? options.defaultNamespace ?? 'default';
  const releaseName = helm.releaseName ?? input.target;
  const badName = argProblem(releaseName, ARG_RULES.releaseName);
  if (badName !== undefined) {
    const from =
      helm.releaseName === undefined
        ? `the target name "${input.target}" (the default release name)`
        : `helm.releaseName "${releaseName}"`;
    throw new TemplateError(`${posixJoin(path, 'fleet.yaml')}: ${from} ${badName}; set helm.releaseName`);
  }
  const kubeVersion = input.cluster.kubernetesVersion;
  const what = `helm chart ${chartPath === undefined ? `${helm.repo} ${helm.chart ?? ''}` : chartPath || '.'}`;
  return {
    cacheKey: key([
      'helm',
      input.root,
      path,
      chartPath,
      helm.repo,
      helm.chart,
      helm.version,
      releaseName,
      namespace,
      values,
      valuesFiles,
      kubeVersion,
      // Allowing a host makes a chart that was refused render on the next reconcile.
      chartPath === undefined ? input.allowedHosts : undefined,
    ]),
    run: async () => {
      await refuseChartReach(input.root, chartPath, valuesFiles);
      const chart =
        chartPath === undefined
          ? await fetchChart(
              { repo: helm.repo ?? '', chart: helm.chart ?? '', ...(helm.version ? { version: helm.version } : {}) },
              { allowed: input.allowedHosts ?? [] },
              input.tools.chartCache,
              what,
            )
          : join(input.root, chartPath);
      const out = await helmTemplate({
        helm: input.tools.helm,
        sandbox: input.tools.sandbox,
        chart,
        releaseName,
        namespace,
        values: values as Record<string, unknown>,
        valuesFiles: valuesFiles.map((f) => join(input.root, f)),
        ...(kubeVersion ? { kubeVersion } : {}),
        readable: [input.root],
        what,
      });
      return canonicalize(parseManifests(out, `helm template ${chartPath ?? helm.chart ?? ''}`));
    },
  };
}
