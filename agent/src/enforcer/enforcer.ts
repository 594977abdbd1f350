import type { KubeClient } from '../kube/client.js';
import { formatRef, refKey, refOf, type KubeObject } from '../objects.js';
import { realSleep, systemClock, type Clock, type Sleep } from '../util/time.js';
import { applyPlanned } from '../deployer/apply.js';
import { DEPLOYMENT_LABEL, deploymentLabelValue, type Bundle } from '../deployer/bundle.js';
import type { ObjectResult } from '../deployer/changes.js';
import { driftOf, type DriftRecord } from '../deployer/drift.js';
import { ownedDigest } from '../deployer/fields.js';
import { customHealth } from '../deployer/health-cel.js';
import { healthOf, type HealthResult } from '../deployer/health.js';
import type { Inventory, InventoryStore } from '../deployer/inventory.js';
import { planObject } from '../deployer/plan.js';
import type { DesiredObject } from '../deployer/prepare.js';
import { prepareBundle, reconcile, resourcesOf } from '../deployer/reconcile.js';
import { foldReport, type DeploymentReport } from '../deployer/report.js';
import { messageOf } from '../errors.js';
import { RetrySchedule, type ApplyRetryPolicy } from './backoff.js';
import type { BundleCache } from './cache.js';
import { ClaimIndex } from './claims.js';
import { KeyedQueue } from './queue.js';
import { ObjectWatcher, type ObjectEvent } from './watcher.js';

export interface EnforcerOptions {
  client: KubeClient;
  inventories: InventoryStore;
  /** Where the last applied bundles are kept, to go on enforcing them without the hub. */
  cache?: BundleCache;
  clock?: Clock;
  sleep?: Sleep;
  concurrency?: number;
  /** A full reconcile of every bundle this often (it writes nothing when nothing changed). */
  resyncMs?: number;
  /** Events for one object within this window collapse into one check. */
  debounceMs?: number;
  /** How a failed apply is retried (default APPLY_RETRY: 2 s doubling to 5 min). */
  retry?: ApplyRetryPolicy;
  /** The retries' jitter (tests pin it). */
  random?: () => number;
  onReport?(report: DeploymentReport): void;
  onDrift?(drift: DriftRecord): void;
  onError?(err: unknown, deployment?: string): void;
}

interface Held {
  bundle: Bundle;
  desired: Map<string, DesiredObject>;
  inventory: Inventory;
  results: ObjectResult[];
  health: Map<string, HealthResult>;
  /** The live objects whose verdict changes with time alone, to judge again when it is due. */
  timed: Map<string, KubeObject>;
  recheck?: { at: number; stop: AbortController };
  /** Drift reported and not corrected (self-heal off). */
  drift: Map<string, DriftRecord>;
  report?: DeploymentReport;
  running?: Promise<void>;
  again: boolean;
}

/**
 * Keeps bundles applied: reconciles them, watches what they applied, reports drift and corrects it
 * (self-heal), resyncs periodically, and works from its local cache when the hub is away.
 */
export class Enforcer {
  private readonly held = new Map<string, Held>();
  /** Who holds and wants what, across deployments (an object belongs to one). */
  private readonly claims = new ClaimIndex();
  private readonly watcher: ObjectWatcher;
  private readonly queue: KeyedQueue<ObjectEvent>;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly stopping = new AbortController();
  private readonly retries: RetrySchedule;
  private resyncLoop?: Promise<void>;

  constructor(private readonly o: EnforcerOptions) {
    this.clock = o.clock ?? systemClock;
    this.sleep = o.sleep ?? realSleep;
    this.queue = new KeyedQueue((key, e) => this.check(key, e), o.debounceMs ?? 200, this.sleep);
    this.retries = new RetrySchedule({
      clock: this.clock,
      sleep: this.sleep,
      ...(o.retry ? { policy: o.retry } : {}),
      ...(o.random ? { random: o.random } : {}),
      run: (id) => void this.reconcileNow(id),
    });
    this.watcher = new ObjectWatcher(
      o.client,
      DEPLOYMENT_LABEL,
      {
        onEvent: (e) => this.route(e),
        onResync: () => this.resyncAll(),
        onError: (err) => o.onError?.(err),
      },
      this.sleep,
    );
  }

  /** Starts from the cached bundles (the hub may be unreachable) and the periodic resync. */
  async start(): Promise<void> {
    for (const bundle of (await this.o.cache?.load()) ?? []) await this.set(bundle, false);
    this.resyncLoop = this.resyncEvery(this.o.resyncMs ?? 300_000);
  }

  /**
   * A desired state arrived: what each of its new bundles will ask for, and which bundles leave,
   * known before any of them is applied. An object moving from one bundle to another is then
   * handed over (adopted, not deleted and created again) in whichever order they apply.
   */
  async expect(bundles: readonly Bundle[], leaving: readonly string[]): Promise<void> {
    for (const id of leaving) this.claims.expect(id, []);
    for (const b of bundles) {
      const { desired } = await prepareBundle(b, this.o.client);
      this.claims.expect(
        b.deployment,
        desired.map((x) => x.key),
      );
    }
  }

  /**
   * Stops managing a bundle without touching its objects (its target was removed with --orphan):
   * they stay in the cluster, and its inventory goes.
   */
  async forget(deployment: string): Promise<void> {
    const h = this.held.get(deployment);
    if (h) {
      await h.running;
      this.held.delete(deployment);
      h.recheck?.stop.abort();
      this.retries.reset(deployment);
    }
    this.claims.forget(deployment);
    await this.o.inventories.remove(deployment);
    await this.o.cache?.remove(deployment);
  }

  /** Takes a bundle (new or changed) and applies it; resolves with its report. */
  async set(bundle: Bundle, cache = true): Promise<DeploymentReport | undefined> {
    if (cache) await this.o.cache?.save(bundle);
    const current = this.held.get(bundle.deployment);
    if (current) current.bundle = bundle;
    else this.held.set(bundle.deployment, emptyHeld(bundle));
    await this.reconcileNow(bundle.deployment);
    return this.held.get(bundle.deployment)?.report;
  }

  /**
   * Stops managing a bundle: prunes what it applied (per its prune option), then forgets it. While
   * some prune fails, the bundle stays held, empty, and later resyncs retry; resolves false then.
   */
  async remove(deployment: string): Promise<boolean> {
    const h = this.held.get(deployment);
    if (!h) return true;
    h.bundle = { ...h.bundle, objects: [] };
    await this.o.cache?.save(h.bundle);
    await this.reconcileNow(deployment);
    if (h.inventory.entries.size > 0) return false;
    this.held.delete(deployment);
    this.claims.forget(deployment);
    h.recheck?.stop.abort();
    this.retries.reset(deployment);
    await this.o.inventories.remove(deployment);
    await this.o.cache?.remove(deployment);
    return true;
  }

  /**
   * Applies a held bundle again now (a user asked, through the hub): a failing bundle skips the rest
   * of its backoff, which starts over. Resolves with its report.
   */
  async retry(deployment: string): Promise<DeploymentReport | undefined> {
    if (!this.held.has(deployment)) return undefined;
    this.retries.reset(deployment);
    await this.reconcileNow(deployment);
    return this.held.get(deployment)?.report;
  }

  report(deployment: string): DeploymentReport | undefined {
    return this.held.get(deployment)?.report;
  }

  /** The deployments held (what the hub's desired state last named, or the cache held). */
  deployments(): string[] {
    return [...this.held.keys()];
  }

  /** Waits for queued object checks (tests, shutdown). */
  async settle(): Promise<void> {
    await this.queue.drain();
    await Promise.all([...this.held.values()].map((h) => h.running));
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const h of this.held.values()) h.recheck?.stop.abort();
    this.retries.stop();
    this.watcher.stop();
    this.queue.stop();
    await Promise.all([...this.held.values()].map((h) => h.running));
    await this.resyncLoop;
  }

  /** Full reconcile; a call while one runs makes it run once more afterwards. */
  private reconcileNow(deployment: string): Promise<void> {
    const h = this.held.get(deployment);
    if (!h) return Promise.resolve();
    if (h.running) {
      h.again = true;
      return h.running;
    }
    h.running = (async () => {
      do {
        h.again = false;
        await this.reconcileOnce(h);
      } while (h.again && !this.stopping.signal.aborted);
    })().finally(() => (h.running = undefined));
    return h.running;
  }

  private async reconcileOnce(h: Held): Promise<void> {
    try {
      // Watch first: a change made while the reconcile runs is then seen, and checked after it.
      await this.watcher.ensure(await resourcesOf(h.bundle, this.o.client));
      const r = await reconcile(h.bundle, {
        client: this.o.client,
        inventories: this.o.inventories,
        clock: this.clock,
        sleep: this.sleep,
        ...(this.o.concurrency ? { concurrency: this.o.concurrency } : {}),
        claims: this.claims,
      });
      // Objects another deployment holds are neither watched nor corrected for this one.
      const refused = new Set(r.refused);
      h.desired = new Map(r.desired.filter((d) => !refused.has(d.key)).map((d) => [d.key, d]));
      h.inventory = r.inventory;
      this.claims.record(
        h.bundle.deployment,
        r.inventory.entries.keys(),
        r.desired.map((d) => d.key),
      );
      h.health = new Map();
      h.timed = new Map();
      for (const x of r.results) this.assess(h, x.key, x.object);
      // Live objects are not kept: health and the inventory say all the enforcer needs.
      h.results = r.results.map(({ object: _object, ...rest }) => rest);
      h.drift = new Map(r.report.drift.filter((d) => !d.corrected).map((d) => [refKey(d.ref), d]));
      for (const d of r.report.drift) this.o.onDrift?.(d);
      this.publish(h, this.withRetry(h.bundle.deployment, r.report));
      // Kinds whose CRDs this reconcile installed: their changes since its reads would go unseen.
      // r.resources holds only the kinds served when it read; discovery knows the new ones now.
      if ((await this.watcher.ensure(await resourcesOf(h.bundle, this.o.client))) > 0) h.again = true;
    } catch (err) {
      // The cluster could not be read or written (its API away longer than the client retries): try again later.
      if (!this.stopping.signal.aborted) this.retries.failed(h.bundle.deployment, messageOf(err));
      this.o.onError?.(err, h.bundle.deployment);
    }
  }

  /** A failed apply is tried again after a backoff, which a successful one ends. */
  private withRetry(deployment: string, report: DeploymentReport): DeploymentReport {
    if (report.state !== 'ErrApplied') {
      this.retries.reset(deployment);
      return report;
    }
    const failed = report.objects.find((o) => o.state === 'ErrApplied');
    const reason = failed ? `${formatRef(failed.ref)}: ${failed.message || failed.reason}` : report.message;
    return { ...report, retry: this.retries.failed(deployment, reason) };
  }

  /**
   * An object's event goes to the deployment it belongs to: the one its label names, or, whatever the
   * label says (a user can remove or change it: `kubectl replace` drops it, and the watch then sends
   * DELETED), the one that wants it and that no other deployment holds it for.
   */
  private route(e: ObjectEvent): void {
    const label = e.object.metadata.labels?.[DEPLOYMENT_LABEL];
    const key = refKey(refOf(e.object));
    for (const h of this.held.values()) {
      const labelled = deploymentLabelValue(h.bundle.deployment) === label;
      // While a reconcile runs, the objects it creates are not in `desired` yet: their first status
      // updates (a controller observing a new Deployment) must wait for it, not be dropped.
      const mine = h.desired.has(key) && (labelled || this.claims.holder(key, h.bundle.deployment) === undefined);
      if (mine || (labelled && h.running)) this.queue.push(`${h.bundle.deployment}|${key}`, e);
    }
  }

  /** One object changed: update its health; drift is reported, and corrected when self-heal is on. */
  private async check(queueKey: string, e: ObjectEvent): Promise<void> {
    const sep = queueKey.indexOf('|');
    const h = this.held.get(queueKey.slice(0, sep));
    const key = queueKey.slice(sep + 1);
    if (!h) return;
    try {
      if (h.running) {
        // Events during a reconcile are mostly its own writes; only the newest per object matters.
        await h.running;
        if (this.queue.hasPending(queueKey)) return;
      }
      const d = h.desired.get(key);
      if (!d) return;
      // DELETED also means "no longer matches the label": look before recreating.
      const live: KubeObject | null = e.type === 'DELETED' ? ((await this.o.client.get(d.ref)) ?? null) : e.object;
      const c = planObject(d, live, h.inventory.entries.get(key), h.bundle.options, this.o.client.fieldManager);
      const before = h.health.get(key);
      const health = this.assess(h, key, live);
      const drifted = h.drift.has(key);
      if (c.drift) await this.onDrift(h, c, key);
      else if (c.action === 'unchanged') h.drift.delete(key);
      // Most events are status churn that changes nothing reported: fold the report only when it can change.
      const same = before?.health === health.health && before.message === health.message;
      if (!same || c.drift || drifted !== h.drift.has(key)) this.publish(h);
    } catch (err) {
      this.o.onError?.(err, h.bundle.deployment);
    }
  }

  private async onDrift(h: Held, c: ReturnType<typeof planObject>, key: string): Promise<void> {
    const drift = driftOf(c, h.bundle.deployment, this.clock.now());
    if (!drift) return;
    if (c.action !== 'create' && c.action !== 'update') {
      h.drift.set(key, drift);
      this.o.onDrift?.(drift);
      return;
    }
    const r = await applyPlanned(c, h.bundle.options, this.o.client);
    const corrected = r.change !== 'failed' && r.object != null;
    if (corrected && c.desired && r.object) {
      h.inventory.entries.set(key, {
        ref: c.ref,
        digest: c.desired.digest,
        owned: ownedDigest(r.object, this.o.client.fieldManager),
      });
      this.assess(h, key, r.object);
      h.drift.delete(key);
      await this.o.inventories.save(h.inventory);
    } else {
      h.drift.set(key, drift);
    }
    this.o.onDrift?.({ ...drift, corrected, ...(corrected ? { correctedAt: this.clock.now() } : {}) });
  }

  private publish(h: Held, fresh?: DeploymentReport): void {
    const retry = this.retries.info(h.bundle.deployment);
    const folded =
      fresh ??
      foldReport(h.bundle.deployment, h.results, h.health, [...h.drift.values()], this.clock.now(), h.bundle.digest);
    const report = fresh || !retry ? folded : { ...folded, retry };
    const changed = !h.report || h.report.state !== report.state || notReadyKey(h.report) !== notReadyKey(report);
    h.report = report;
    if (changed || fresh) this.o.onReport?.(report);
    this.scheduleRecheck(h);
  }

  /** One object's health now; an object whose verdict waits on time is kept, to be judged again then. */
  private assess(h: Held, key: string, live: KubeObject | null | undefined): HealthResult {
    const health = healthOf(live, this.clock.now(), customHealth(h.bundle.options.healthChecks));
    h.health.set(key, health);
    if (health.recheckAt !== undefined && live) h.timed.set(key, live);
    else h.timed.delete(key);
    return health;
  }

  /**
   * A verdict that changes with time alone (a Pod unschedulable past its grace period) comes with no
   * watch event: a timer judges it again when it is due, rather than the resync minutes later.
   */
  private scheduleRecheck(h: Held): void {
    let at = Infinity;
    for (const key of h.timed.keys()) at = Math.min(at, h.health.get(key)?.recheckAt ?? Infinity);
    if (h.recheck?.at === at) return;
    h.recheck?.stop.abort();
    h.recheck = undefined;
    if (at === Infinity || this.stopping.signal.aborted) return;
    const recheck = { at, stop: new AbortController() };
    h.recheck = recheck;
    void this.sleep(Math.max(0, at - this.clock.now()), recheck.stop.signal).then(() => {
      if (recheck.stop.signal.aborted || this.held.get(h.bundle.deployment) !== h) return;
      h.recheck = undefined;
      for (const [key, live] of h.timed) this.assess(h, key, live);
      this.publish(h);
    });
  }

  private resyncAll(): void {
    for (const id of this.held.keys()) void this.reconcileNow(id);
  }

  private async resyncEvery(ms: number): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await this.sleep(ms, this.stopping.signal);
      if (!this.stopping.signal.aborted) this.resyncAll();
    }
  }
}

function emptyHeld(bundle: Bundle): Held {
  return {
    bundle,
    desired: new Map(),
    inventory: { deployment: bundle.deployment, entries: new Map() },
    results: [],
    health: new Map(),
    timed: new Map(),
    drift: new Map(),
    again: false,
  };
}

/**
 * What the hub is told about the objects that hold a bundle back: a report that changes it is sent.
 * The bundle's message names only the first few; a fourth object's new message counts too.
 */
function notReadyKey(r: DeploymentReport): string {
  let key = r.message;
  for (const o of r.objects) {
    if (o.state !== 'Ready') key += `\n${formatRef(o.ref)}\t${o.state}\t${o.health}\t${o.message}`;
  }
  return key;
}
