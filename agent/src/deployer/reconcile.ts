import { UnknownKindError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { ResourceInfo } from '../kube/discovery.js';
import type { ObjectRef } from '../objects.js';
import { realSleep, systemClock, type Clock, type Sleep } from '../util/time.js';
import { applyStaged } from './apply.js';
import { DEPLOYMENT_LABEL, deploymentLabelValue, type Bundle } from './bundle.js';
import type { ObjectResult } from './changes.js';
import { driftOf, type DriftRecord } from './drift.js';
import { ownedDigest } from './fields.js';
import { customHealth } from './health-cel.js';
import { healthOf, type CustomHealth, type HealthResult } from './health.js';
import type { Inventory, InventoryEntry, InventoryStore } from './inventory.js';
import { readLive } from './live.js';
import { withBundleNamespace } from './namespace.js';
import { applyClaims, NO_CLAIMS, type Claims } from './ownership.js';
import { plan, type PlannedChange } from './plan.js';
import { prepare, type DesiredObject, type InvalidObject, type ScopeOf } from './prepare.js';
import { prune } from './prune.js';
import { foldReport, type DeploymentReport } from './report.js';

export interface ReconcileDeps {
  client: KubeClient;
  inventories: InventoryStore;
  clock?: Clock;
  sleep?: Sleep;
  /** Requests in flight within a stage. */
  concurrency?: number;
  crdTimeoutMs?: number;
  /** What the other deployments on this cluster hold and want (ownership.ts); none by default. */
  claims?: Claims;
}

type Deps = Required<ReconcileDeps>;

export interface ReconcileResult {
  report: DeploymentReport;
  plan: PlannedChange[];
  results: ObjectResult[];
  desired: DesiredObject[];
  inventory: Inventory;
  /** The resources the bundle's objects live in (to watch them). */
  resources: ResourceInfo[];
  /** Keys of the desired objects not applied because another deployment holds them. */
  refused: string[];
}

export function withDefaults(d: ReconcileDeps): Deps {
  return { clock: systemClock, sleep: realSleep, concurrency: 16, crdTimeoutMs: 30_000, claims: NO_CLAIMS, ...d };
}

/**
 * One reconcile of one bundle, as named steps: prepare → read live → plan (what other deployments hold
 * is neither adopted nor deleted) → record intent → staged apply → prune → inventory → health. An
 * unchanged bundle makes no write call.
 */
export async function reconcile(bundle: Bundle, deps: ReconcileDeps): Promise<ReconcileResult> {
  const d = withDefaults(deps);
  const manager = d.client.fieldManager;
  const { desired, invalid } = await prepareBundle(bundle, d.client);
  const previous = await d.inventories.load(bundle.deployment);
  const { live, resources } = await readBundleLive(bundle, desired, previous, d);
  const { planned, refused } = applyClaims(
    plan({ desired, live, options: bundle.options, manager, ...(previous ? { inventory: previous } : {}) }),
    bundle.deployment,
    previous,
    d.claims,
  );
  const intent = await recordIntent(bundle.deployment, planned, previous, d.inventories);
  const applied = await applyStaged(planned, bundle.options, d);
  const pruned = await prune(planned, d.client, d.concurrency);
  const results = [...invalid.map(invalidResult), ...refused, ...applied, ...pruned];
  const inventory = nextInventory(bundle.deployment, results, planned, previous, manager);
  await d.inventories.save(inventory, intent ?? previous);
  const now = d.clock.now();
  const drift = driftRecords(bundle.deployment, planned, results, now);
  const report = foldReport(
    bundle.deployment,
    results,
    healthMap(results, now, customHealth(bundle.options.healthChecks)),
    drift,
    now,
    bundle.digest,
  );
  return { report, plan: planned, results, desired, inventory, resources, refused: refused.map((r) => r.key) };
}

/** The resources a bundle's objects live in, as far as the cluster serves their kinds already. */
export async function resourcesOf(bundle: Bundle, client: KubeClient): Promise<ResourceInfo[]> {
  const seen = new Map<string, ResourceInfo>();
  // The namespace the agent creates for the bundle (namespace.ts) is watched like its objects.
  const ns = bundle.options.namespace;
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns?.name ?? '' } };
  for (const o of ns ? [...bundle.objects, namespace] : bundle.objects) {
    if (typeof o?.apiVersion !== 'string' || typeof o.kind !== 'string') continue;
    try {
      const info = await client.resolve(o);
      seen.set(`${info.group}/${info.version}/${info.resource}`, info);
    } catch (err) {
      if (!(err instanceof UnknownKindError)) throw err;
    }
  }
  return [...seen.values()];
}

/**
 * Validates and normalizes the objects, led by the namespace the bundle's options name (created as
 * Fleet does: see namespace.ts); discovery tells which kinds are namespaced.
 */
export async function prepareBundle(named: Bundle, client: KubeClient) {
  const bundle = await withBundleNamespace(named, client);
  const scopes = new Map<string, boolean | undefined>();
  for (const o of bundle.objects) {
    if (typeof o?.apiVersion !== 'string' || typeof o.kind !== 'string') continue;
    const k = `${o.apiVersion}/${o.kind}`;
    if (scopes.has(k)) continue;
    try {
      scopes.set(k, (await client.resolve(o)).namespaced);
    } catch (err) {
      if (!(err instanceof UnknownKindError)) throw err;
      scopes.set(k, undefined);
    }
  }
  const scopeOf: ScopeOf = (apiVersion, kind) => scopes.get(`${apiVersion}/${kind}`);
  return prepare(bundle, scopeOf);
}

export function readBundleLive(bundle: Bundle, desired: DesiredObject[], inv: Inventory | undefined, d: Deps) {
  const refs: ObjectRef[] = desired.map((x) => x.ref);
  const wanted = new Set(desired.map((x) => x.key));
  for (const [key, e] of inv?.entries ?? []) if (!wanted.has(key)) refs.push(e.ref);
  const held = new Set(inv?.entries.keys() ?? []);
  return readLive(
    d.client,
    refs,
    `${DEPLOYMENT_LABEL}=${deploymentLabelValue(bundle.deployment)}`,
    held,
    d.concurrency,
  );
}

/**
 * Before creating anything new, the inventory records it (digest '' = in progress): an agent killed
 * mid-apply then still knows every object it may have created, and leaves no orphan.
 */
async function recordIntent(
  deployment: string,
  planned: readonly PlannedChange[],
  previous: Inventory | undefined,
  store: InventoryStore,
): Promise<Inventory | undefined> {
  const fresh = planned.filter((c) => c.desired && !previous?.entries.has(c.key) && c.action !== 'unchanged');
  if (fresh.length === 0) return undefined;
  const entries = new Map(previous?.entries ?? []);
  for (const c of fresh) entries.set(c.key, { ref: c.ref, digest: '', owned: '' });
  const intent = { deployment, entries };
  await store.save(intent, previous);
  return intent;
}

/** What the inventory holds after a reconcile: applied objects, and every survivor of a failure. */
export function nextInventory(
  deployment: string,
  results: readonly ObjectResult[],
  planned: readonly PlannedChange[],
  previous: Inventory | undefined,
  manager: string,
): Inventory {
  const byKey = new Map(planned.map((c) => [c.key, c]));
  const entries = new Map<string, InventoryEntry>();
  for (const r of results) {
    const before = previous?.entries.get(r.key);
    const c = byKey.get(r.key);
    const applied = r.change === 'created' || r.change === 'configured' || r.change === 'unchanged';
    if (c?.desired && applied && r.object) {
      const settled = r.action !== 'unchanged' || c.settled === true;
      const owned = settled ? ownedDigest(r.object, manager) : (before?.owned ?? '');
      entries.set(r.key, { ref: r.ref, digest: c.desired.digest, owned });
    } else if (c?.desired && r.change === 'failed') {
      // Kept (or kept pending): a failed create may still have reached etcd, and must stay prunable.
      entries.set(r.key, before ?? { ref: r.ref, digest: '', owned: '' });
    } else if (before && r.change !== 'deleted' && !(r.change === 'skipped' && !c?.desired)) {
      entries.set(r.key, before);
    }
  }
  return { deployment, entries };
}

function driftRecords(
  deployment: string,
  planned: readonly PlannedChange[],
  results: readonly ObjectResult[],
  now: number,
): DriftRecord[] {
  const outcome = new Map(results.map((r) => [r.key, r.change]));
  const out: DriftRecord[] = [];
  for (const c of planned) {
    const d = driftOf(c, deployment, now);
    if (!d) continue;
    const change = outcome.get(c.key);
    const corrected = change === 'configured' || change === 'created' || change === 'unchanged';
    out.push({ ...d, corrected, ...(corrected ? { correctedAt: now } : {}) });
  }
  return out;
}

function healthMap(results: readonly ObjectResult[], now: number, custom?: CustomHealth): Map<string, HealthResult> {
  const m = new Map<string, HealthResult>();
  for (const r of results) if (r.action !== 'delete') m.set(r.key, healthOf(r.object, now, custom));
  return m;
}

function invalidResult(x: InvalidObject, i: number): ObjectResult {
  return {
    ref: x.ref,
    key: `invalid#${i}`,
    change: 'failed',
    reason: x.error.message,
    action: 'skip',
    stage: 1,
    error: x.error,
  };
}
