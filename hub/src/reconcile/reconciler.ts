import type { JsonObject } from '../store/index.js';
import type { RenderCache } from '../render/cache.js';
import { planRender, type DeployOptions, type RenderTools } from '../render/target.js';
import type { Store } from '../store/index.js';
import { encode } from '../store/json.js';
import { place, type Placement, type Problem } from '../target/targeting.js';
import { checkPlaintextSecrets, type PlaintextSecretPolicy } from '../render/secrets-policy.js';
import type { Sources } from './sources.js';

export interface ReconcileSummary {
  /** (cluster, target, environment) whose desired bundle or options changed. */
  changed: number;
  unchanged: number;
  removed: number;
  /** Placements waiting for their branch's first fetch. */
  pending: number;
  failures: { target: string; environment: string; cluster: string; message: string }[];
  problems: Problem[];
}

interface Deps {
  store: Store;
  sources: Sources;
  cache: RenderCache;
  tools: RenderTools;
  /** Secrets with values in Git: warn (default), refuse or allow. */
  plaintextSecrets?: PlaintextSecretPolicy;
}

const key = (p: { cluster: string; target: string; environment: string }) =>
  `${p.cluster}\u0000${p.target}\u0000${p.environment}`;

/**
 * Decides what every cluster must run: targeting, then one render per placement (shared through the
 * render cache), bundles stored once by digest, deployments set. A render that fails leaves the
 * previous bundle deployed and records why on the target and environment.
 */
export class Reconciler {
  constructor(private readonly deps: Deps) {}

  async reconcile(): Promise<ReconcileSummary> {
    const { store } = this.deps;
    const clusters = store.clusters.list().filter((c) => c.revokedAt === undefined);
    const { placements, problems } = place(
      clusters,
      store.groups.list(),
      store.environments.list(),
      store.targets.list(),
    );
    const summary: ReconcileSummary = { changed: 0, unchanged: 0, removed: 0, pending: 0, failures: [], problems };
    const keep = new Set<string>();
    const failedPairs = new Map<string, { commit: string; message: string }>();
    const renderedPairs = new Map<string, string>();
    const byName = new Map(clusters.map((c) => [c.name, c]));

    for (const p of placements) {
      const head = store.repos.getBranch(p.repo, p.branch)?.commit;
      const pair = `${p.target}\u0000${p.environment}`;
      if (!head) {
        summary.pending++;
        keep.add(key(p));
        continue;
      }
      try {
        const outcome = await this.renderPlacement(p, head, byName.get(p.cluster)?.kubernetesVersion);
        if (outcome === 'skip') continue;
        keep.add(key(p));
        summary[outcome]++;
        renderedPairs.set(pair, head);
      } catch (err) {
        keep.add(key(p));
        const message = err instanceof Error ? err.message : String(err);
        summary.failures.push({ target: p.target, environment: p.environment, cluster: p.cluster, message });
        if (!failedPairs.has(pair)) failedPairs.set(pair, { commit: head, message });
      }
    }
    this.recordRenderStatus(renderedPairs, failedPairs);
    // A conflicted (cluster, target) keeps what it has until the conflict is resolved.
    for (const pr of problems) {
      if (pr.code !== 'TARGET_CONFLICT') continue;
      for (const d of store.deployments.list({ cluster: pr.cluster ?? '', target: pr.target ?? '' })) keep.add(key(d));
    }
    for (const d of store.deployments.list()) {
      if (keep.has(key(d))) continue;
      store.deployments.delete(d);
      summary.removed++;
    }
    return summary;
  }

  private async renderPlacement(
    p: Placement,
    head: string,
    kubernetesVersion: string | undefined,
  ): Promise<'changed' | 'unchanged' | 'skip'> {
    const { store, sources, cache, tools } = this.deps;
    const cluster = store.clusters.get(p.cluster);
    const root = await sources.tree(p.repo, head);
    const plan = await planRender({
      root,
      path: p.path,
      target: p.target,
      cluster: {
        name: p.cluster,
        labels: cluster?.labels ?? {},
        groups: p.groups,
        ...(kubernetesVersion ? { kubernetesVersion } : {}),
      },
      tools,
    });
    if (plan.skip) return 'skip';
    const bundle = await cache.get(plan.cacheKey, plan.run);
    const warning = checkPlaintextSecrets(
      bundle.objects,
      this.deps.plaintextSecrets ?? 'warn',
      `target ${p.target} (path ${p.path}, environment ${p.environment})`,
    );
    return store.transaction(() => {
      const stored = store.bundles.put({
        digest: bundle.digest,
        content: bundle.bytes,
        objectCount: bundle.objects.length,
      });
      if (stored.inserted) {
        store.events.append({
          kind: 'BundleRendered',
          repo: p.repo,
          target: p.target,
          environment: p.environment,
          bundle: bundle.digest,
          payload: { commit: head, objects: bundle.objects.length, kind: plan.kind },
        });
        if (warning) {
          store.events.append({
            kind: 'PlaintextSecret',
            repo: p.repo,
            target: p.target,
            environment: p.environment,
            bundle: bundle.digest,
            payload: { commit: head, message: warning },
          });
        }
      }
      const before = store.deployments.get(p);
      const options = { ...optionsJson(plan.options), ...targetOverrides(store.targets.get(p.target)?.options) };
      // Nothing to write when the bundle, options and revision are as stored: at fleet scale most
      // placements of a reconcile are unchanged, and each upsert cost a write.
      if (before?.bundle === bundle.digest && before.revision === head && encode(before.options) === encode(options)) {
        return 'unchanged';
      }
      const after = store.deployments.setDesired({
        cluster: p.cluster,
        target: p.target,
        environment: p.environment,
        bundle: bundle.digest,
        options,
        revision: head,
      });
      return before?.generation === after.generation ? 'unchanged' : 'changed';
    });
  }

  private recordRenderStatus(
    rendered: Map<string, string>,
    failed: Map<string, { commit: string; message: string }>,
  ): void {
    const { store } = this.deps;
    for (const [pair, f] of failed) {
      const [target = '', environment = ''] = pair.split('\u0000');
      const prev = store.renderStatus.get(target, environment);
      store.renderStatus.put({ target, environment, commit: f.commit, state: 'Failed', message: f.message });
      if (prev?.state !== 'Failed' || prev.commit !== f.commit || prev.message !== f.message) {
        store.events.append({
          kind: 'RenderFailed',
          target,
          environment,
          payload: { commit: f.commit, message: f.message },
        });
      }
    }
    for (const [pair, commit] of rendered) {
      if (failed.has(pair)) continue;
      const [target = '', environment = ''] = pair.split('\u0000');
      store.renderStatus.put({ target, environment, commit, state: 'Rendered', message: '' });
    }
  }
}

/** What a target's own options (set through the API) decide over fleet.yaml: self-heal and prune. */
function targetOverrides(o: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  if (typeof o?.selfHeal === 'boolean') out.selfHeal = o.selfHeal;
  if (typeof o?.prune === 'boolean') out.prune = o.prune;
  return out;
}

function optionsJson(o: DeployOptions): JsonObject {
  return JSON.parse(JSON.stringify(o)) as JsonObject;
}
