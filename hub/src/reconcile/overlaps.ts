import { deploymentKeyOf } from '@flotilla/common';
import type { KubeObject } from '../bundle/index.js';
import { targetNamespace } from '../protocol/desired.js';
import type { Deployment, JsonObject, Store } from '../store/index.js';
import { appliedObjects, refuseOverlaps, type Claim, type Refusal } from '../target/ownership.js';
import type { Problem } from '../target/targeting.js';

/** A slot this reconcile would deploy: its key, and the bundle and options it rendered. */
export interface Proposal {
  cluster: string;
  environment: string;
  target: string;
  digest: string;
  objects: readonly KubeObject[];
  options: JsonObject;
}

export interface OverlapResult {
  /** `cluster\0target\0environment` of the proposals refused (their deployment, if any, stays). */
  refused: Set<string>;
  /** One TARGET_OVERLAP per refused (slot, holder) pair, over every cluster it happens on. */
  problems: Problem[];
}

/** How many objects a problem names; the rest are counted. */
const SHOWN = 5;
/** Work between two chances to yield to the event loop. */
const YIELD_EVERY = 512;
/** Object lists of stored bundles kept between reconciles (a digest's objects never change). */
const HELD_CACHE_MAX = 4096;

export const slotKey = deploymentKeyOf;

/**
 * The hub's half of "an object belongs to one deployment on a cluster": the proposals of a
 * reconcile against what every other slot on the same cluster holds (see refuseOverlaps). Clusters
 * with the same slots and bundles are decided once.
 */
export class OverlapCheck {
  private readonly held = new Map<string, Set<string>>();

  constructor(private readonly store: Store) {}

  /**
   * `proposals`: what this reconcile would write; `standing`: the deployments that stay whatever it
   * writes (their placement was not rendered now, or is kept through a conflict). `maybeYield` lets
   * the event loop in between (measured: 50,000 clusters of 3 slots take about 0.3 s in all).
   */
  async check(
    proposals: readonly Proposal[],
    standing: readonly Deployment[],
    before: ReadonlyMap<string, Deployment>,
    maybeYield: () => Promise<void> = () => Promise.resolve(),
  ): Promise<OverlapResult> {
    const perCluster = new Map<string, { claim: Claim; sig: string }[]>();
    const add = (cluster: string, claim: Claim, sig: string) => {
      const list = perCluster.get(cluster);
      if (list) list.push({ claim, sig });
      else perCluster.set(cluster, [{ claim, sig }]);
    };
    for (const [i, p] of proposals.entries()) {
      if (i % YIELD_EVERY === 0) await maybeYield();
      const d = before.get(slotKey(p));
      const ns = targetNamespace(p.options);
      const claim: Claim = {
        cluster: p.cluster,
        environment: p.environment,
        target: p.target,
        proposed: this.objectsOf(p.digest, ns, () => p.objects),
        ...(d ? { held: this.heldOf(d) } : {}),
      };
      add(p.cluster, claim, `${p.environment}/${p.target}|${d ? heldSig(d) : ''}|${p.digest}:${ns}`);
    }
    for (const d of standing) {
      add(
        d.cluster,
        { cluster: d.cluster, environment: d.environment, target: d.target, held: this.heldOf(d) },
        `${d.environment}/${d.target}|${heldSig(d)}|`,
      );
    }
    const decided = new Map<string, Refusal[]>();
    const refusals: Refusal[] = [];
    let n = 0;
    for (const [cluster, claims] of perCluster) {
      if (++n % YIELD_EVERY === 0) await maybeYield();
      if (!claims.some((c) => c.claim.proposed)) continue;
      const sig = claims
        .map((c) => c.sig)
        .sort()
        .join('\n');
      let found = decided.get(sig);
      if (!found) decided.set(sig, (found = refuseOverlaps(claims.map((c) => ({ ...c.claim, cluster: '' })))));
      refusals.push(...found.map((r) => ({ ...r, cluster })));
    }
    this.trimCache();
    return {
      refused: new Set(refusals.map((r) => slotKey(r))),
      problems: toProblems(refusals),
    };
  }

  private heldOf(d: Deployment): Set<string> {
    return this.objectsOf(d.bundle, targetNamespace(d.options), () => this.storedObjects(d.bundle));
  }

  private objectsOf(digest: string, ns: string, objects: () => readonly KubeObject[]): Set<string> {
    const k = `${digest}:${ns}`;
    let s = this.held.get(k);
    if (!s) this.held.set(k, (s = appliedObjects(objects(), ns)));
    return s;
  }

  private storedObjects(digest: string): KubeObject[] {
    const bytes = this.store.bundles.content(digest);
    if (!bytes) return [];
    return bytes
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as KubeObject);
  }

  private trimCache(): void {
    if (this.held.size <= HELD_CACHE_MAX) return;
    for (const k of [...this.held.keys()].slice(0, this.held.size - HELD_CACHE_MAX)) this.held.delete(k);
  }
}

const heldSig = (d: Deployment) => `${d.bundle}:${targetNamespace(d.options)}`;

/** Refusals grouped by (refused slot, holder), each naming the clusters and the first objects. */
function toProblems(refusals: readonly Refusal[]): Problem[] {
  const groups = new Map<string, { r: Refusal; clusters: Set<string>; objects: Set<string> }>();
  for (const r of refusals) {
    const k = [r.environment, r.target, r.holder.environment, r.holder.target].join('\u0000');
    const g = groups.get(k) ?? { r, clusters: new Set<string>(), objects: new Set<string>() };
    g.clusters.add(r.cluster);
    for (const o of r.objects) g.objects.add(o);
    groups.set(k, g);
  }
  return [...groups.values()].map(({ r, clusters, objects }) => {
    const all = [...objects].sort();
    const shown = all.slice(0, SHOWN);
    const more = all.length > shown.length ? ` and ${all.length - shown.length} more` : '';
    const where = [...clusters].sort();
    const holder =
      r.holder.environment === r.environment
        ? `target ${r.holder.target}`
        : `target ${r.holder.target} (environment ${r.holder.environment})`;
    return {
      code: 'TARGET_OVERLAP',
      target: r.target,
      environment: r.environment,
      holder: r.holder,
      clusters: where,
      objects: shown,
      objectCount: all.length,
      message:
        `target ${r.target} (environment ${r.environment}) renders ${all.length} object${all.length === 1 ? '' : 's'} ` +
        `that ${holder} already deploys on cluster${where.length === 1 ? '' : 's'} ${where.join(', ')}: ` +
        `${shown.join(', ')}${more}. Refused there: ${r.target} keeps its previous bundle (if any). ` +
        'An object belongs to one target on a cluster: remove it from one of the two, or remove one target',
    };
  });
}
