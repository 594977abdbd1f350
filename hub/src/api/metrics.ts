import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BUNDLE_STATES } from '@flotilla/proto';
import { CLUSTER_CONDITIONS, clusterCondition } from '../status/rollup.js';
import type { FleetEvent, Store } from '../store/index.js';

const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
const PAGE = 5000;

export interface MetricsOptions {
  store: Store;
  /** Clusters whose agents hold a connection to this hub now (the transport's view). */
  connectedClusters?: () => readonly string[];
  staleAfterMs: number;
  /** Process metrics (CPU, memory, event loop); on by default. */
  processMetrics?: boolean;
  now?: () => Date;
}

/**
 * The hub's Prometheus metrics. Gauges are read from the store at scrape time. The GitOps indicators
 * per environment (deployment frequency, rollout success, rollbacks, promotions, drift incidents) are
 * the store's running totals of events (event_counts, kept on every append and never swept), so they
 * survive restarts and retention alike. The apply-duration histogram is read from the log itself: on
 * start from the events retention kept, then at each scrape from the events appended since.
 */
export class HubMetrics {
  readonly registry = new Registry();
  private lastEventId = 0;
  private readonly reconcileDuration: Histogram;
  private readonly applyDuration: Histogram<'environment'>;
  private readonly deploymentsTotal: Counter<'environment'>;
  private readonly rolloutsTotal: Counter<'environment' | 'result'>;
  private readonly rollbacksTotal: Counter<'environment'>;
  private readonly promotionsTotal: Counter<'environment'>;
  private readonly driftTotal: Counter<'environment'>;
  private readonly successRatio: Gauge<'environment'>;

  constructor(private readonly o: MetricsOptions) {
    const r = this.registry;
    const now = o.now ?? (() => new Date());
    if (o.processMetrics !== false) collectDefaultMetrics({ register: r, prefix: 'flotilla_hub_' });
    new Gauge({
      name: 'flotilla_agents_connected',
      help: 'Agents with an open connection to this hub.',
      registers: [r],
      collect() {
        this.set(o.connectedClusters?.().length ?? 0);
      },
    });
    new Gauge({
      name: 'flotilla_clusters',
      help: `Clusters by condition (${CLUSTER_CONDITIONS.join(', ')}).`,
      labelNames: ['condition'],
      registers: [r],
      collect() {
        const counts = Object.fromEntries(CLUSTER_CONDITIONS.map((c) => [c, 0])) as Record<string, number>;
        const l = { now: now(), staleAfterMs: o.staleAfterMs, connected: new Set(o.connectedClusters?.() ?? []) };
        for (const c of o.store.clusters.list()) counts[clusterCondition(c, l)]! += 1;
        for (const [condition, n] of Object.entries(counts)) this.set({ condition }, n);
      },
    });
    new Gauge({
      name: 'flotilla_deployments',
      help: 'Deployments (cluster x target x environment) by state.',
      labelNames: ['state', 'environment'],
      registers: [r],
      collect() {
        this.reset();
        const envs = o.store.environments.list().map((e) => e.name);
        for (const environment of envs) for (const state of BUNDLE_STATES) this.set({ state, environment }, 0);
        for (const d of o.store.deployments.list()) this.inc({ state: d.state, environment: d.environment });
      },
    });
    this.reconcileDuration = new Histogram({
      name: 'flotilla_reconcile_duration_seconds',
      help: 'How long one reconcile of the desired state took (render and placement of every target).',
      buckets: DURATION_BUCKETS,
      registers: [r],
    });
    this.applyDuration = new Histogram({
      name: 'flotilla_apply_duration_seconds',
      help: 'From a new desired bundle to the cluster reporting it Ready or ErrApplied, per environment.',
      labelNames: ['environment'],
      buckets: DURATION_BUCKETS,
      registers: [r],
    });
    this.deploymentsTotal = new Counter({
      name: 'flotilla_environment_deployments_total',
      help: 'Deployment frequency: new commits picked up on the branch of each environment.',
      labelNames: ['environment'],
      registers: [r],
    });
    this.rolloutsTotal = new Counter({
      name: 'flotilla_environment_rollouts_total',
      help: 'Rollouts settled per environment and cluster: result succeeded (Ready) or failed (ErrApplied).',
      labelNames: ['environment', 'result'],
      registers: [r],
    });
    this.successRatio = new Gauge({
      name: 'flotilla_environment_rollout_success_ratio',
      help: 'Success rate: succeeded rollouts / settled rollouts per environment (1 when none settled).',
      labelNames: ['environment'],
      registers: [r],
    });
    this.rollbacksTotal = new Counter({
      name: 'flotilla_environment_rollbacks_total',
      help: 'Rollback frequency: rollbacks made through Flotilla per environment.',
      labelNames: ['environment'],
      registers: [r],
    });
    this.promotionsTotal = new Counter({
      name: 'flotilla_environment_promotions_total',
      help: 'Promotions into each environment.',
      labelNames: ['environment'],
      registers: [r],
    });
    this.driftTotal = new Counter({
      name: 'flotilla_environment_drift_incidents_total',
      help: 'Drift incidents: objects found changed outside Git, per environment.',
      labelNames: ['environment'],
      registers: [r],
    });
    for (const e of o.store.environments.list()) this.zero(e.name);
    this.catchUp();
  }

  private zero(environment: string): void {
    this.deploymentsTotal.inc({ environment }, 0);
    this.rolloutsTotal.inc({ environment, result: 'succeeded' }, 0);
    this.rolloutsTotal.inc({ environment, result: 'failed' }, 0);
    this.rollbacksTotal.inc({ environment }, 0);
    this.promotionsTotal.inc({ environment }, 0);
    this.driftTotal.inc({ environment }, 0);
  }

  observeReconcile(ms: number): void {
    this.reconcileDuration.observe(ms / 1000);
  }

  /** Sets the counters to the store's running totals, and reads the events appended since the last call into the histogram. */
  private catchUp(): void {
    this.countTotals();
    for (;;) {
      const page = this.o.store.events.list({ afterId: this.lastEventId, limit: PAGE });
      for (const e of page) this.observeApplied(e);
      this.lastEventId = page.at(-1)?.id ?? this.lastEventId;
      if (page.length < PAGE) break;
    }
  }

  /** Commits count for every environment that follows their repo and branch. */
  private countTotals(): void {
    const envs = this.o.store.environments.list();
    const outcomes = new Map(envs.map((e) => [e.name, { ok: 0, all: 0 }]));
    for (const c of [
      this.deploymentsTotal,
      this.rolloutsTotal,
      this.rollbacksTotal,
      this.promotionsTotal,
      this.driftTotal,
    ])
      c.reset();
    for (const e of envs) this.zero(e.name);
    for (const c of this.o.store.events.counts()) {
      const environment = c.environment;
      if (c.counter === 'commits') {
        for (const e of envs)
          if (e.repo === c.repo && e.branch === c.branch) this.deploymentsTotal.inc({ environment: e.name }, c.count);
      }
      if (!environment) continue;
      if (c.counter === 'rollouts') {
        const result = c.result === 'succeeded' ? 'succeeded' : 'failed';
        this.rolloutsTotal.inc({ environment, result }, c.count);
        const o = outcomes.get(environment) ?? { ok: 0, all: 0 };
        outcomes.set(environment, { ok: o.ok + (result === 'succeeded' ? c.count : 0), all: o.all + c.count });
      } else if (c.counter === 'rollbacks') this.rollbacksTotal.inc({ environment }, c.count);
      else if (c.counter === 'promotions') this.promotionsTotal.inc({ environment }, c.count);
      else if (c.counter === 'driftIncidents') this.driftTotal.inc({ environment }, c.count);
    }
    for (const [environment, { ok, all }] of outcomes) this.successRatio.set({ environment }, all ? ok / all : 1);
  }

  private observeApplied(e: FleetEvent): void {
    if (e.kind === 'Applied' && e.environment && typeof e.payload.durationMs === 'number') {
      this.applyDuration.observe({ environment: e.environment }, e.payload.durationMs / 1000);
    }
  }

  /** The exposition text for /metrics. */
  async text(): Promise<string> {
    this.catchUp();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
