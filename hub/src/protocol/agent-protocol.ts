import {
  FlotillaError,
  fromWireState,
  SETTLING_WIRE_STATES,
  type AgentMessage__Output,
  type DesiredState,
  type DriftReport__Output,
  type Hello__Output,
  type DeploymentStatus__Output,
  type Welcome,
} from '@flotilla/proto';
import { MAX_DEPLOYMENT_ID, parseDeploymentId } from '@flotilla/common';
import { foldStatus } from '../status/fold.js';
import { summarizeObjects } from '../status/objects.js';
import { retryOf } from '../status/retry.js';
import type { JsonObject, Store } from '../store/index.js';
import { desiredFor, desiredForAll, type DesiredSet } from './desired.js';
import { BytesLru } from './bytes-lru.js';
import { DriftLimiter } from './drift-limiter.js';
import { DEFAULT_REPORT_LIMITS, fitDrift, type FittedDrift, type ReportLimits } from './report-limits.js';
import { reportedFacts } from './registration.js';

interface Arrived {
  cluster: string;
  m: AgentMessage__Output;
  /** A drift report already cut to size and let through (or due again) by the rate limit. */
  drift?: FittedDrift | undefined;
  resolve?: (() => void) | undefined;
  reject?: ((err: unknown) => void) | undefined;
}

/** An agent asked for a bundle that is not desired on its own cluster (it may know the digest). */
export class BundleAccessError extends FlotillaError {
  readonly code = 'BUNDLE_NOT_DESIRED';
}

/** A desired bundle whose bytes the hub's bundle store no longer holds. */
export class BundleMissingError extends FlotillaError {
  readonly code = 'BUNDLE_MISSING';
}

const BYTES_CACHED = 128 * 1024 * 1024;

/**
 * How long reports gather before they are folded in one transaction, and how many fold at once at
 * most. A commit costs about as much as several reports' writes; reports of a rollout trickle in one
 * by one, so a few milliseconds of gathering turn hundreds of commits into a few. Longer windows did
 * not pay on the hub (measured at 1,000 agents: 1 ms and 5 ms alike, 20 ms 10 µs a report worse:
 * what waits longer survives into the old generation).
 */
const FOLD_WINDOW_MS = 5;
const FOLD_MAX = 1000;
/**
 * Heartbeats with nothing else to fold wait longer: last-seen a second late is nothing against the
 * Stale window (three heartbeat periods), and agents beat at random phases, so at 5 ms each beat of
 * an idle fleet was a commit of its own (a 4 KiB WAL page and six file-lock calls apiece).
 */
const BEAT_WINDOW_MS = 1000;

/**
 * Messages of a batch that a later one of the same batch makes moot, so a burst costs one write per
 * deployment rather than one per message: of several statuses for one deployment and generation only
 * the last is folded, plus the first that settles it (Ready or ErrApplied: the rollout's outcome and
 * duration are recorded from it); of several heartbeats of one cluster, the last. Drift is never
 * skipped: each report is an event.
 */
export function supersededInBatch(batch: readonly { cluster: string; m: AgentMessage__Output }[]): Set<number> {
  const skip = new Set<number>();
  // Most batches carry one message per cluster: count by cluster first (a stream's cluster name is
  // one string, its hash computed once) and build keys only for clusters that sent more than one.
  const perCluster = new Map<string, number>();
  let repeated = false;
  for (const { cluster } of batch) {
    const n = perCluster.get(cluster) ?? 0;
    perCluster.set(cluster, n + 1);
    if (n > 0) repeated = true;
  }
  if (!repeated) return skip;
  const lastStatus = new Map<string, number>();
  const firstSettling = new Map<string, number>();
  const lastBeat = new Map<string, number>();
  batch.forEach(({ cluster, m }, i) => {
    if (perCluster.get(cluster) === 1) return;
    if (m.status) {
      const key = `${cluster}\u0000${m.status.deployment}\u0000${String(m.status.generation)}`;
      const prev = lastStatus.get(key);
      if (prev !== undefined && prev !== firstSettling.get(key)) skip.add(prev);
      lastStatus.set(key, i);
      if (SETTLING_WIRE_STATES.has(m.status.state) && !firstSettling.has(key)) firstSettling.set(key, i);
    } else if (m.heartbeat) {
      const prev = lastBeat.get(cluster);
      if (prev !== undefined) skip.add(prev);
      lastBeat.set(cluster, i);
    }
  });
  return skip;
}

/** A desired state to send: the set, or only its generation when the agent applied that one already. */
export interface Announcement {
  generation: string;
  message: DesiredState;
}

function announce(d: DesiredSet, appliedGeneration?: string): Announcement {
  const unchanged = appliedGeneration === d.generation;
  return {
    generation: d.generation,
    message: {
      generation: d.generation,
      unchanged,
      deployments: unchanged ? [] : d.deployments,
      orphaned: unchanged ? [] : d.orphaned,
    },
  };
}

export interface AgentProtocolOptions {
  store: Store;
  heartbeatSeconds?: number;
  hubVersion?: string;
  /**
   * An agent's hello reported another Kubernetes version than the hub knew (the cluster was
   * upgraded): what renders for it may differ (Helm's capabilities), so its placements need a reconcile.
   */
  onKubernetesVersionChanged?: (cluster: string) => void;
  /** Size and rate limits on what an agent reports (default DEFAULT_REPORT_LIMITS). */
  reportLimits?: ReportLimits;
  /** The clock of the drift rate limit, in ms; injected for tests. */
  clock?: () => number;
}

/** The message of an arrived drift report that `drift` carries, cut to size. */
const FITTED = {} as AgentMessage__Output;

/**
 * What the hub says and records, whatever carries it (gRPC stream or NATS subjects): the welcome and
 * desired state on hello, "unchanged" when the agent already applied the current generation, status
 * folded into deployments, drift into events, heartbeats into last-seen, and who may fetch which bundle.
 * The transports only move bytes and authenticate; the cluster passed in here is already authenticated.
 */
export class AgentProtocol {
  readonly heartbeatSeconds: number;
  private readonly limits: ReportLimits;
  private readonly driftLimiter: DriftLimiter;
  constructor(private readonly o: AgentProtocolOptions) {
    this.heartbeatSeconds = o.heartbeatSeconds ?? 15;
    this.limits = o.reportLimits ?? DEFAULT_REPORT_LIMITS;
    this.driftLimiter = new DriftLimiter(this.limits, o.clock);
  }

  welcome(cluster: string): Welcome {
    return {
      clusterId: cluster,
      heartbeatSeconds: this.heartbeatSeconds,
      hubVersion: this.o.hubVersion ?? '',
      statusBatches: true,
    };
  }

  /** Records the sighting and answers with the welcome and the desired state (or "unchanged"). */
  hello(cluster: string, h: Hello__Output): { welcome: Welcome; desired: DesiredState } {
    const before = this.o.store.clusters.get(cluster)?.kubernetesVersion;
    const facts = reportedFacts(h, 'drop');
    this.o.store.clusters.recordSeen(cluster, facts);
    if (facts.kubernetesVersion && facts.kubernetesVersion !== before) this.o.onKubernetesVersionChanged?.(cluster);
    this.ackOrphans(cluster, h.appliedGeneration);
    return { welcome: this.welcome(cluster), desired: this.desired(cluster, h.appliedGeneration).message };
  }

  /**
   * The desired state to send: the full set, or only the generation when the agent reports it applied
   * that one already. `generation` lets a transport skip sending a set it sent last.
   */
  desired(cluster: string, appliedGeneration?: string): Announcement {
    return announce(desiredFor(this.o.store, cluster), appliedGeneration);
  }

  /** The full desired state of each of these clusters, from one query (what a transport sends after a reconcile). */
  desiredMany(clusters: Iterable<string>): Map<string, Announcement> {
    const out = new Map<string, Announcement>();
    for (const [c, d] of desiredForAll(this.o.store, clusters)) out.set(c, announce(d));
    return out;
  }

  /**
   * The agent applied a desired state that named its orphaned bundles (they are part of its
   * generation): it forgot them, and the marks go. Probed on every heartbeat, an indexed lookup.
   */
  private ackOrphans(cluster: string, appliedGeneration: string): void {
    if (appliedGeneration === '0' || !this.o.store.orphans.has(cluster)) return;
    if (desiredFor(this.o.store, cluster).generation === appliedGeneration) this.o.store.orphans.clear(cluster);
  }

  /** Status, drift and heartbeat messages from an agent (a hello is answered by `hello`). */
  handle(cluster: string, m: AgentMessage__Output): void {
    if (m.heartbeat) {
      this.o.store.clusters.touch(cluster);
      this.ackOrphans(cluster, m.heartbeat.appliedGeneration);
    } else if (m.drift) this.drift(cluster, m.drift);
    else if (m.status) this.status(cluster, m.status);
    else if (m.statuses) this.statuses(cluster, m.statuses.statuses);
  }

  /**
   * A batch of statuses, each folded on its own (one status is one statement, or a savepoint when it
   * settles a rollout, so a failing one is undone alone); the first failure is thrown once the
   * others are folded.
   */
  private statuses(cluster: string, statuses: readonly DeploymentStatus__Output[]): void {
    let failure: unknown;
    for (const s of statuses) {
      try {
        this.status(cluster, s);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Like `handle`, but messages that arrive together (from any agent, on either transport) are folded
   * in one transaction: one commit for many reports. Resolves once this one is folded; rejects with
   * why it could not be (the others of its batch are not affected), or with the failed commit.
   */
  fold(cluster: string, m: AgentMessage__Output): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue(cluster, m, resolve, reject));
  }

  /**
   * `fold` for a transport that has nothing to do once a report is folded (gRPC: the stream is its
   * own acknowledgement): no promise per report, a third of the garbage a report made.
   */
  foldQuietly(cluster: string, m: AgentMessage__Output): void {
    this.enqueue(cluster, m);
  }

  /**
   * Drift is cut to size and rate limited as it arrives, before it waits to be folded: a flood of
   * big reports neither queues nor delays the statuses and heartbeats folded with it. A report over
   * the cluster's rate is done with here (coalesced, see DriftLimiter).
   */
  private enqueue(cluster: string, m: AgentMessage__Output, resolve?: () => void, reject?: (err: unknown) => void) {
    let drift: FittedDrift | undefined;
    if (m.drift) {
      if ((m.drift.deployment ?? '').length > MAX_DEPLOYMENT_ID) return resolve?.();
      drift = this.driftLimiter.offer(cluster, fitDrift(m.drift, this.limits));
      if (!drift) {
        this.flushDriftLater();
        return resolve?.();
      }
    }
    // The fitted copy is what waits: the report as it came may be far bigger.
    this.arrive({ cluster, m: drift ? FITTED : m, drift, resolve, reject });
  }

  private arrive(a: Arrived): void {
    const { m } = a;
    const n = this.arrived.push(a);
    const beat = m.heartbeat != null;
    if (n === 1) {
      this.foldSoon = !beat;
      this.foldTimer = setTimeout(() => this.foldArrived(), beat ? BEAT_WINDOW_MS : FOLD_WINDOW_MS);
    } else if (n >= FOLD_MAX) {
      clearTimeout(this.foldTimer);
      this.foldArrived();
    } else if (!beat && !this.foldSoon) {
      // Heartbeats were waiting: a report folds them along with it, at the report's pace.
      clearTimeout(this.foldTimer);
      this.foldSoon = true;
      this.foldTimer = setTimeout(() => this.foldArrived(), FOLD_WINDOW_MS);
    }
  }

  private foldTimer: NodeJS.Timeout | undefined;
  /** The batch waiting holds more than heartbeats: it folds within FOLD_WINDOW_MS. */
  private foldSoon = false;
  private readonly arrived: Arrived[] = [];

  private driftTimer: NodeJS.Timeout | undefined;
  /** Coalesced drift is recorded when its cluster has a token again, folded like any report. */
  private flushDriftLater(): void {
    if (this.driftTimer) return;
    const ms = this.driftLimiter.nextDueMs();
    if (ms === undefined) return;
    this.driftTimer = setTimeout(() => {
      this.driftTimer = undefined;
      for (const { cluster, report } of this.driftLimiter.due()) {
        this.arrive({ cluster, m: FITTED, drift: report });
      }
      this.flushDriftLater();
    }, ms);
    // Nothing to record once the hub stops: the agent logged each report.
    this.driftTimer.unref();
  }

  private foldArrived(): void {
    const batch = this.arrived.splice(0);
    const superseded = supersededInBatch(batch);
    let failures: unknown[];
    try {
      failures = this.o.store.transaction(() =>
        batch.map(({ cluster, m, drift }, i) => {
          try {
            if (drift) this.recordDrift(cluster, drift);
            else if (!superseded.has(i)) this.handle(cluster, m);
            return undefined;
          } catch (err) {
            return err ?? new Error('folding failed');
          }
        }),
      );
    } catch (err) {
      for (const b of batch) b.reject?.(err);
      return;
    }
    batch.forEach((b, i) => (failures[i] === undefined ? b.resolve?.() : b.reject?.(failures[i])));
  }

  /** Folds a deployment's status (and its settling into an event); an old generation's is ignored. */
  status(cluster: string, s: DeploymentStatus__Output): void {
    const named = parseDeploymentId(s.deployment);
    if (!named) return;
    const retry = retryOf(s);
    foldStatus(this.o.store, {
      cluster,
      environment: named.environment,
      target: named.target,
      generation: Number(s.generation),
      state: fromWireState(s.state),
      message: s.message,
      objects: summarizeObjects(s),
      ...(retry ? { retry } : {}),
    });
  }

  /** Records a drift report, cut to size (not rate limited: `fold` is). */
  drift(cluster: string, d: DriftReport__Output): void {
    if ((d.deployment ?? '').length <= MAX_DEPLOYMENT_ID) this.recordDrift(cluster, fitDrift(d, this.limits));
  }

  private recordDrift(cluster: string, d: FittedDrift): void {
    const named = parseDeploymentId(d.deployment);
    // Only drift of a deployment on the agent's own cluster becomes an event: an agent cannot write
    // events about targets or environments it does not run.
    if (!named || !this.o.store.deployments.get({ cluster, ...named })) return;
    this.o.store.events.append({
      kind: d.corrected ? 'DriftCorrected' : 'DriftDetected',
      cluster,
      ...named,
      payload: d.payload as JsonObject,
    });
  }

  /** Only a bundle desired on the caller's own cluster: a cheap lookup, not the whole desired set. */
  authorizeFetch(cluster: string, digest: string): void {
    if (!this.o.store.deployments.uses(cluster, digest)) {
      throw new BundleAccessError(
        `cluster ${cluster} may not fetch bundle ${digest}: it is not desired on that cluster`,
      );
    }
  }

  /**
   * Decoded bundle bytes by digest, most recently used last, at most BYTES_CACHED in all. A rollout
   * sends one bundle to many clusters: without it each fetch re-read and gunzipped it from SQLite
   * (measured: 0.7 ms of hub CPU per agent). Content-addressed, so never stale.
   */
  private readonly bytesCache = new BytesLru<Buffer>(BYTES_CACHED, BYTES_CACHED / 4);

  /** The bytes of a bundle the caller may fetch. */
  bundleBytes(cluster: string, digest: string): Buffer {
    this.authorizeFetch(cluster, digest);
    const hit = this.bytesCache.get(digest);
    if (hit) return hit;
    const bytes = this.o.store.bundles.content(digest);
    if (!bytes) {
      throw new BundleMissingError(
        `bundle ${digest} is desired on cluster ${cluster} but missing from the hub's bundle store; the next reconcile renders it again`,
      );
    }
    this.bytesCache.set(digest, bytes);
    return bytes;
  }
}
