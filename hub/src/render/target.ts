import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalize } from '../bundle/index.js';
import { kustomizeBuild } from '../tools/kustomize.js';
import { matchCustomization } from './customize.js';
import { PathNotFoundError, UnsupportedLayoutError } from './errors.js';
import type { ComparePatch, FleetYaml, TargetCustomization } from './fleet-types.js';
import { parseFleetYaml } from './fleet-yaml.js';
import { checkRelativePath, loadManifests, posixJoin, readManifestFiles } from './load.js';
import { parseManifests } from './manifests.js';
import { helmPlan } from './helm-plan.js';
import { namespaceOptions } from './namespace-options.js';
import type { DeployOptions, IgnoreRuleSpec, RenderInput, RenderKind, RenderPlan } from './plan-types.js';
export { mergeValues } from './helm-plan.js';
import { applyYamlOverlays } from './overlays.js';
import { refuseKustomizeReach } from './reach.js';

export type {
  DeployOptions,
  IgnoreRuleSpec,
  RenderCluster,
  RenderInput,
  RenderKind,
  RenderPlan,
  RenderTools,
} from './plan-types.js';

export function ignoreRules(patches: readonly ComparePatch[] | undefined): IgnoreRuleSpec[] {
  return (patches ?? []).map((p) => ({
    object: {
      ...(p.apiVersion ? { apiVersion: p.apiVersion } : {}),
      ...(p.kind ? { kind: p.kind } : {}),
      ...(p.namespace ? { namespace: p.namespace } : {}),
      ...(p.name ? { name: p.name } : {}),
    },
    jsonPointers: [
      ...(p.jsonPointers ?? []),
      ...(p.operations ?? []).filter((o) => o.op === 'remove' && o.path).map((o) => o.path as string),
    ],
  }));
}

function deployOptions(fleet: FleetYaml, c: TargetCustomization | undefined): DeployOptions {
  const namespace = c?.namespace ?? fleet.namespace;
  const defaultNamespace = c?.defaultNamespace ?? fleet.defaultNamespace;
  const drift = c?.correctDrift ?? fleet.correctDrift;
  return {
    ...(namespace ? { namespace } : {}),
    ...(defaultNamespace ? { defaultNamespace } : {}),
    // Self-heal is on unless the repository turns it off (Fleet's correctDrift.enabled: false).
    selfHeal: drift?.enabled !== false,
    ignore: ignoreRules([...(fleet.diff?.comparePatches ?? []), ...(c?.diff?.comparePatches ?? [])]),
    dependsOn: (fleet.dependsOn ?? []).flatMap((d) => (d.name ? [d.name] : [])),
    ...namespaceOptions(fleet, c),
  };
}

/**
 * What a target's directory holds that decides how it renders: whether it exists, its fleet.yaml,
 * and the files that mark a chart or a kustomization. A tree is exported once per commit and never
 * changes, so this is read once per (tree, path) rather than for every cluster of every reconcile:
 * at 1,000 clusters those file checks were a tenth of a reconcile's CPU.
 */
interface PathFacts {
  exists: boolean;
  fleet: FleetYaml;
  chart: boolean;
  kustomization: boolean;
}

const FACTS_KEPT = 512;
const pathFacts = new Map<string, Promise<PathFacts>>();

function factsOf(root: string, path: string): Promise<PathFacts> {
  const k = `${root}\u0000${path}`;
  let f = pathFacts.get(k);
  if (!f) {
    f = readFacts(root, path);
    pathFacts.set(k, f);
    if (pathFacts.size > FACTS_KEPT) pathFacts.delete(pathFacts.keys().next().value as string);
  }
  return f;
}

async function readFacts(root: string, path: string): Promise<PathFacts> {
  const dir = join(root, path);
  if (!existsSync(dir)) return { exists: false, fleet: {}, chart: false, kustomization: false };
  const file = join(dir, 'fleet.yaml');
  return {
    exists: true,
    fleet: existsSync(file) ? parseFleetYaml(await readFile(file, 'utf8'), posixJoin(path, 'fleet.yaml')) : {},
    chart: existsSync(join(dir, 'Chart.yaml')),
    kustomization: ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => existsSync(join(dir, f))),
  };
}

function detectKind(facts: PathFacts, c: TargetCustomization | undefined): RenderKind {
  const fleet = facts.fleet;
  if (fleet.helm?.chart || c?.helm?.chart || facts.chart) return 'helm';
  if (c?.kustomize?.dir || fleet.kustomize?.dir || facts.kustomization) return 'kustomize';
  return 'yaml';
}

function key(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Decides how a target renders for one cluster (fleet.yaml, customization, kind) without running
 * anything; `run()` renders. Inputs that cannot change the output (other clusters' labels, say)
 * stay out of `cacheKey`, so clusters with the same effective inputs share one render.
 */
export async function planRender(input: RenderInput): Promise<RenderPlan> {
  const path = checkRelativePath(input.path).join('/');
  const facts = await factsOf(input.root, path);
  if (!facts.exists) {
    throw new PathNotFoundError(`target ${input.target}: path "${input.path}" does not exist in the repository`);
  }
  const fleet = facts.fleet;
  const c = matchCustomization(fleet, input.cluster);
  const kind = detectKind(facts, c);
  if (kind !== 'helm' && (input.helm?.values !== undefined || input.helm?.valuesFiles !== undefined)) {
    throw new UnsupportedLayoutError(
      `target ${input.target} sets Helm values in its options, but "${path}" renders as ` +
        `${kind === 'yaml' ? 'plain YAML' : 'a kustomization'}, not a Helm chart; remove options.helm from the target`,
    );
  }
  const options = deployOptions(fleet, c);
  const base = { kind, skip: c?.doNotDeploy === true, options, ...(c?.name ? { customization: c.name } : {}) };
  if (kind === 'helm') return { ...base, ...helmPlan(input, path, fleet, c, options, key) };
  if (kind === 'kustomize') {
    const dir = posixJoin(path, checkRelativePath(c?.kustomize?.dir ?? fleet.kustomize?.dir ?? '.').join('/'));
    return {
      ...base,
      cacheKey: key(['kustomize', input.root, dir]),
      run: async () => {
        await refuseKustomizeReach(input.root, dir);
        const out = await kustomizeBuild({
          kustomize: input.tools.kustomize,
          sandbox: input.tools.sandbox,
          dir: join(input.root, dir),
          readable: [input.root],
          what: `kustomize ${dir}`,
        });
        return canonicalize(parseManifests(out, `kustomize build ${dir}`));
      },
    };
  }
  const overlays = c?.yaml?.overlays ?? [];
  return {
    ...base,
    cacheKey: key(['yaml', input.root, path, overlays]),
    run: async () => {
      const loaded = [];
      for (const name of overlays) {
        const dir = posixJoin(path, 'overlays', checkRelativePath(name).join('/'));
        loaded.push({ dir, files: await readManifestFiles(input.root, dir) });
      }
      return canonicalize(applyYamlOverlays(await loadManifests(input.root, path), loaded, path));
    },
  };
}
