import { deploymentId, isPlainObject, parseDeploymentId } from '@flotilla/common';
import type { TargetHelmOptions } from '@flotilla/proto/api';
import type { CanonicalBundle } from '../bundle/index.js';
import type { RenderCache } from '../render/cache.js';
import { planRender, type DeployOptions, type RenderKind, type RenderTools } from '../render/target.js';
import type { Cluster, Deployment, JsonObject, Store, Target } from '../store/index.js';
import { encode } from '../store/json.js';
import { place, type Placement, type Problem } from '../target/targeting.js';
import { checkPlaintextSecrets, type PlaintextSecretPolicy } from '../render/secrets-policy.js';
import { OverlapCheck, slotKey } from './overlaps.js';
import { TreeCancelledError, type ExportedTrees } from './trees.js';
import { Scope } from './work-queue.js';

export interface ReconcileSummary {
  /** (cluster, target, environment) whose desired bundle or options changed. */
  changed: number;
  unchanged: number;
  removed: number;
  /** The clusters whose desired state this reconcile changed (a deployment written or removed), sorted. */
  clusters: string[];
  /** Placements waiting for their branch's first fetch. */
  pending: number;
  /** Placements whose tree export stopped: their commit is no longer needed (removed, or superseded). */
  cancelled: number;
  failures: { target: string; environment: string; cluster: string; message: string }[];
  problems: Problem[];
  /**
   * (environment, target) pairs a pass over only some of their clusters rendered while their render
   * status says Failed: whether the pair renders now is for a pass over all its clusters to say.
   */
  recheck: { environment: string; target: string }[];
}

interface Deps {
  store: Store;
  /** Exported trees, held while a render reads one. */
  trees: ExportedTrees;
  cache: RenderCache;
  tools: RenderTools;
  /** Secrets with values in Git: warn (default), refuse or allow. */
  plaintextSecrets?: PlaintextSecretPolicy;
  /** Takes the hub's own paths out of an error before it is recorded and shown. */
  scrub?: (text: string) => string;
}

const key = slotKey;

/** A placement rendered, waiting to be written. */
interface Rendered {
  p: Placement;
  head: string;
  bundle: CanonicalBundle;
  kind: RenderKind;
  options: JsonObject;
  warning: string | undefined;
}

/** Placements written per transaction: one commit for many, and the event loop gets a turn between. */
const WRITE_CHUNK = 250;
/** The longest a reconcile runs without letting I/O (agents, the API) in. */
const SLICE_MS = 10;

/**
 * Decides what every cluster must run: targeting, then one render per placement (shared through the
 * render cache), bundles stored once by digest, deployments set. A render that fails leaves the
 * previous bundle deployed and records why on the target and environment.
 *
 * At fleet scale a reconcile is O(placements) with little real I/O (renders are cached), so it yields
 * to the event loop every few milliseconds, reads what every placement shares once, and writes the
 * changed placements in a few transactions: the hub keeps serving agents and registrations meanwhile.
 */
/** What a placement renders with besides its tree: its cluster, its target's options, its repo's hosts. */
interface PlacementContext {
  cluster: Cluster | undefined;
  overrides: JsonObject;
  allowedHosts: readonly string[];
  helm: TargetHelmOptions | undefined;
}

export class Reconciler {
  private readonly overlaps: OverlapCheck;
  /**
   * (environment, target) pairs refused somewhere for claiming objects another deployment holds
   * (TARGET_OVERLAP). Every pass decides them again, whatever its scope: the pass that removes or moves
   * the holder hands its objects over in the same desired state. Rare, so cheap; the first pass after
   * a start covers everything and fills it.
   */
  private readonly refusedForOverlap = new Set<string>();
  constructor(private readonly deps: Deps) {
    this.overlaps = new OverlapCheck(deps.store);
  }

  /**
   * Decides the deployments in `scope` (every one by default). Targeting runs over the whole
   * configuration (it is cheap, and a conflict between two environments is only seen whole); only
   * the placements in scope are rendered and written, only the deployments in scope may be removed,
   * and the ownership check weighs them against everything else deployed on their clusters.
   */
  async reconcile(scope: Scope = Scope.of([{ kind: 'all' }])): Promise<ReconcileSummary> {
    const { store } = this.deps;
    const clusters = store.clusters.list().filter((c) => c.revokedAt === undefined);
    // A target being removed is placed nowhere: its deployments go at the end of this reconcile,
    // in the same desired state as whatever takes its objects over, then the target itself. A pass
    // that does not cover the whole target leaves them (they go, with their orphan marks, together).
    const targets = store.targets.list();
    const removing = targets.filter((t) => t.removal && scope.coversTarget(t.name));
    const removingLater = new Set(targets.filter((t) => t.removal && !scope.coversTarget(t.name)).map((t) => t.name));
    const { placements: everywhere, problems } = place(
      clusters,
      store.groups.list(),
      store.environments.list(),
      targets.filter((t) => !t.removal),
    );
    for (const id of this.refusedForOverlap) {
      const pair = parseDeploymentId(id);
      if (pair) scope.add({ kind: 'deployment', ...pair });
    }
    const placements = scope.all ? everywhere : everywhere.filter((p) => scope.covers(p));
    const summary: ReconcileSummary = {
      changed: 0,
      unchanged: 0,
      removed: 0,
      clusters: [],
      pending: 0,
      cancelled: 0,
      failures: [],
      problems,
      recheck: [],
    };
    const keep = new Set<string>();
    const failedPairs = new Map<string, { commit: string; message: string }>();
    const renderedPairs = new Map<string, string>();
    const byName = new Map(clusters.map((c) => [c.name, c]));
    const heads = new Map<string, string | undefined>();
    const headOf = (p: Placement) => {
      const k = `${p.repo}\u0000${p.branch}`;
      if (!heads.has(k)) heads.set(k, store.repos.getBranch(p.repo, p.branch)?.commit);
      return heads.get(k);
    };
    const targetOptions = new Map(store.targets.list().map((t) => [t.name, targetOverrides(t.options)]));
    const targetHelm = new Map(store.targets.list().map((t) => [t.name, targetHelmOptions(t.options)]));
    const renderHosts = new Map(store.repos.list().map((r) => [r.name, r.renderHosts ?? []]));
    const scrub = this.deps.scrub ?? ((t: string) => t);
    const fail = (p: Placement, head: string, err: unknown) => {
      const message = scrub(err instanceof Error ? err.message : String(err));
      summary.failures.push({ target: p.target, environment: p.environment, cluster: p.cluster, message });
      const pair = deploymentId(p.environment, p.target);
      if (!failedPairs.has(pair)) failedPairs.set(pair, { commit: head, message });
    };

    const rendered: Rendered[] = [];
    const yielder = new Yielder(SLICE_MS);
    for (const p of placements) {
      await yielder.maybe();
      const head = headOf(p);
      if (!head) {
        summary.pending++;
        keep.add(key(p));
        continue;
      }
      try {
        const r = await this.renderPlacement(p, head, {
          cluster: byName.get(p.cluster),
          overrides: targetOptions.get(p.target) ?? {},
          allowedHosts: renderHosts.get(p.repo) ?? [],
          helm: targetHelm.get(p.target),
        });
        if (r === 'skip') continue;
        keep.add(key(p));
        rendered.push(r);
      } catch (err) {
        keep.add(key(p));
        // Not a failure of the target: the next reconcile renders what is needed now.
        if (err instanceof TreeCancelledError) summary.cancelled++;
        else fail(p, head, err);
      }
    }

    const before = new Map(store.deployments.list().map((d) => [key(d), d]));
    // What this pass does not decide stays as it is, and counts as standing for the ownership check.
    for (const d of before.values()) {
      if (!scope.covers(d) || removingLater.has(d.target)) keep.add(key(d));
    }
    // A conflicted (cluster, target) keeps what it has until the conflict is resolved.
    for (const pr of problems) {
      if (pr.code !== 'TARGET_CONFLICT') continue;
      for (const d of before.values()) if (d.cluster === pr.cluster && d.target === pr.target) keep.add(key(d));
    }
    const accepted = await this.refuseOverlaps(rendered, before, keep, summary, () => yielder.maybe());
    const stored = new Set<string>();
    const affected = new Set<string>();
    for (let i = 0; i < accepted.length; i += WRITE_CHUNK) {
      if (i > 0) await yielder.now();
      store.transaction(() => {
        for (const r of accepted.slice(i, i + WRITE_CHUNK)) {
          try {
            // Each in its own savepoint: one that fails is undone alone, the chunk commits.
            const outcome = store.transaction(() => this.write(r, before.get(key(r.p)), stored, affected));
            summary[outcome]++;
            renderedPairs.set(deploymentId(r.p.environment, r.p.target), r.head);
          } catch (err) {
            fail(r.p, r.head, err);
          }
        }
      });
    }
    const overlapping = overlapPairs(summary.problems, rendered);
    for (const id of [...this.refusedForOverlap]) {
      const pair = parseDeploymentId(id);
      if (!pair || scope.coversPair(pair.environment, pair.target)) this.refusedForOverlap.delete(id);
    }
    for (const id of overlapping.keys()) this.refusedForOverlap.add(id);
    this.recordRenderStatus(renderedPairs, failedPairs, overlapping, scope, summary);
    store.transaction(() => {
      const removed = new Map<string, Deployment[]>();
      for (const d of store.deployments.list()) {
        if (keep.has(key(d))) continue;
        store.deployments.delete(d);
        removed.set(d.target, [...(removed.get(d.target) ?? []), d]);
        summary.removed++;
        affected.add(d.cluster);
      }
      for (const t of removing) this.finishRemoval(t, removed.get(t.name) ?? []);
    });
    summary.clusters = [...affected].sort();
    return summary;
  }

  /**
   * A removed target's deployments are gone (agents prune their objects, or with `orphan` forget
   * them: marked for each cluster until its agent confirms); now the target goes too.
   */
  private finishRemoval(t: Target, deployments: readonly Deployment[]): void {
    const { store } = this.deps;
    const orphan = t.removal?.orphan === true;
    if (orphan) for (const d of deployments) store.orphans.add(d.cluster, deploymentId(d.environment, d.target));
    store.targets.delete(t.name);
    store.events.append({
      kind: 'TargetRemoved',
      repo: t.repo,
      target: t.name,
      payload: {
        orphan,
        requestedAt: t.removal?.requestedAt ?? '',
        deployments: deployments.map((d) => ({ cluster: d.cluster, environment: d.environment })),
      },
    });
  }

  /**
   * The rendered placements that may be written: one claiming objects another slot holds on its
   * cluster is refused (TARGET_OVERLAP), and what it had deployed stays.
   */
  private async refuseOverlaps(
    rendered: readonly Rendered[],
    before: ReadonlyMap<string, Deployment>,
    keep: ReadonlySet<string>,
    summary: ReconcileSummary,
    maybeYield: () => Promise<void>,
  ): Promise<Rendered[]> {
    const proposed = new Set(rendered.map((r) => key(r.p)));
    const standing = [...before.values()].filter((d) => keep.has(key(d)) && !proposed.has(key(d)));
    const proposals = rendered.map((r) => ({
      ...r.p,
      digest: r.bundle.digest,
      objects: r.bundle.objects,
      options: r.options,
    }));
    const { refused, problems } = await this.overlaps.check(proposals, standing, before, maybeYield);
    summary.problems.push(...problems);
    return refused.size === 0 ? [...rendered] : rendered.filter((r) => !refused.has(key(r.p)));
  }

  private async renderPlacement(p: Placement, head: string, c: PlacementContext): Promise<Rendered | 'skip'> {
    const tree = await this.deps.trees.acquire(p.repo, head);
    try {
      return await this.renderFrom(tree.root, p, head, c);
    } finally {
      tree.release();
    }
  }

  private async renderFrom(
    root: string,
    p: Placement,
    head: string,
    { cluster, overrides, allowedHosts, helm }: PlacementContext,
  ): Promise<Rendered | 'skip'> {
    const { cache, tools } = this.deps;
    const plan = await planRender({
      root,
      path: p.path,
      target: p.target,
      cluster: {
        name: p.cluster,
        labels: cluster?.labels ?? {},
        groups: p.groups,
        ...(cluster?.kubernetesVersion ? { kubernetesVersion: cluster.kubernetesVersion } : {}),
      },
      tools,
      allowedHosts,
      ...(helm ? { helm } : {}),
    });
    if (plan.skip) return 'skip';
    const bundle = await cache.get(plan.cacheKey, plan.run);
    const warning = checkPlaintextSecrets(
      bundle.objects,
      this.deps.plaintextSecrets ?? 'warn',
      `target ${p.target} (path ${p.path}, environment ${p.environment})`,
    );
    return { p, head, bundle, kind: plan.kind, options: { ...optionsJson(plan.options), ...overrides }, warning };
  }

  /**
   * Stores the bundle (once per reconcile) and sets the deployment, unless it is as stored; a cluster
   * whose deployment was written goes into `affected` (its desired set, revisions included, moved).
   */
  private write(
    r: Rendered,
    before: Deployment | undefined,
    stored: Set<string>,
    affected: Set<string>,
  ): 'changed' | 'unchanged' {
    const { store } = this.deps;
    const { p, head, bundle, options } = r;
    if (!stored.has(bundle.digest)) {
      const put = store.bundles.put({
        digest: bundle.digest,
        content: bundle.bytes,
        objectCount: bundle.objects.length,
      });
      stored.add(bundle.digest);
      if (put.inserted) {
        store.events.append({
          kind: 'BundleRendered',
          repo: p.repo,
          target: p.target,
          environment: p.environment,
          bundle: bundle.digest,
          payload: { commit: head, objects: bundle.objects.length, kind: r.kind },
        });
        if (r.warning) {
          store.events.append({
            kind: 'PlaintextSecret',
            repo: p.repo,
            target: p.target,
            environment: p.environment,
            bundle: bundle.digest,
            payload: { commit: head, message: r.warning },
          });
        }
      }
    }
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
    affected.add(p.cluster);
    return before?.generation === after.generation ? 'unchanged' : 'changed';
  }

  /** Failed renders, then refused ones (TARGET_OVERLAP: rendered, not deployed), then the rest Rendered. */
  private recordRenderStatus(
    rendered: Map<string, string>,
    failed: Map<string, { commit: string; message: string }>,
    overlapping: Map<string, { commit: string; message: string }>,
    scope: Scope,
    summary: ReconcileSummary,
  ): void {
    const { store } = this.deps;
    const notDeployed = [
      ...[...failed].map(([pair, f]) => ({ pair, f, kind: 'RenderFailed' as const })),
      ...[...overlapping]
        .filter(([pair]) => !failed.has(pair))
        .map(([pair, f]) => ({ pair, f, kind: 'TargetOverlap' as const })),
    ];
    for (const { pair, f, kind } of notDeployed) {
      const { environment, target } = parseDeploymentId(pair) ?? { environment: '', target: '' };
      const prev = store.renderStatus.get(target, environment);
      store.renderStatus.put({ target, environment, commit: f.commit, state: 'Failed', message: f.message });
      if (prev?.state !== 'Failed' || prev.commit !== f.commit || prev.message !== f.message) {
        store.events.append({ kind, target, environment, payload: { commit: f.commit, message: f.message } });
      }
    }
    for (const [pair, commit] of rendered) {
      if (failed.has(pair) || overlapping.has(pair)) continue;
      const { environment, target } = parseDeploymentId(pair) ?? { environment: '', target: '' };
      // Rendered for some of its clusters: Rendered for the pair only if it was, or if it had failed
      // for those clusters alone (a pass over all of them tells, queued by the engine).
      if (!scope.coversPair(environment, target)) {
        const prev = store.renderStatus.get(target, environment);
        if (prev?.state === 'Failed') summary.recheck.push({ environment, target });
        if (prev !== undefined) continue;
      }
      store.renderStatus.put({ target, environment, commit, state: 'Rendered', message: '' });
    }
  }
}

/** The TARGET_OVERLAP messages per (target, environment), at the commit refused. */
function overlapPairs(problems: readonly Problem[], rendered: readonly Rendered[]) {
  const out = new Map<string, { commit: string; message: string }>();
  for (const pr of problems) {
    if (pr.code !== 'TARGET_OVERLAP') continue;
    const pair = deploymentId(pr.environment ?? '', pr.target ?? '');
    const commit = rendered.find((r) => r.p.target === pr.target && r.p.environment === pr.environment)?.head ?? '';
    const prev = out.get(pair);
    out.set(pair, { commit, message: prev ? `${prev.message}; ${pr.message}` : `TARGET_OVERLAP: ${pr.message}` });
  }
  return out;
}

/** What a target's own options (set through the API) decide over fleet.yaml: self-heal and prune. */
function targetOverrides(o: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  if (typeof o?.selfHeal === 'boolean') out.selfHeal = o.selfHeal;
  if (typeof o?.prune === 'boolean') out.prune = o.prune;
  // Custom health rules (CEL), set through the API and checked there: sent to the agents as they are.
  if (Array.isArray(o?.healthChecks)) out.healthChecks = o.healthChecks;
  return out;
}

/** The Helm values a target's options set (checked by the API), for the render; not sent to agents. */
function targetHelmOptions(o: JsonObject | undefined): TargetHelmOptions | undefined {
  const helm = o?.helm;
  if (!isPlainObject(helm)) return undefined;
  const { values, valuesFiles } = helm as TargetHelmOptions;
  const out: TargetHelmOptions = {
    ...(isPlainObject(values) ? { values } : {}),
    ...(Array.isArray(valuesFiles) ? { valuesFiles: valuesFiles.filter((f) => typeof f === 'string') } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

function optionsJson(o: DeployOptions): JsonObject {
  return JSON.parse(JSON.stringify(o)) as JsonObject;
}

/** Lets the event loop run (timers, sockets) once `sliceMs` of uninterrupted work has passed. */
class Yielder {
  private since = performance.now();
  constructor(private readonly sliceMs: number) {}

  async maybe(): Promise<void> {
    if (performance.now() - this.since >= this.sliceMs) await this.now();
  }

  async now(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}
