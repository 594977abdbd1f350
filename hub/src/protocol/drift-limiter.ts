import type { FittedDrift, ReportLimits } from './report-limits.js';

/** Objects per cluster whose latest coalesced report is held; reports about more objects are only counted. */
const HELD_OBJECTS = 64;
/** Held reports of all clusters together, in bytes (each cluster may hold one whatever the total). */
const HELD_BYTES = 16 * 1024 * 1024;

interface Held {
  latest: FittedDrift;
  /** Reports the latest stands for besides itself, and how many of those were detections. */
  reports: number;
  detected: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** Per object (deployment and object), in the order their first coalesced report came. */
  held: Map<string, Held>;
  /** Reports about objects that found no room in `held`. */
  other: { reports: number; detected: number };
}

const keyOf = (r: FittedDrift) => `${r.deployment}\u0000${r.payload.object}`;

/**
 * A token bucket per cluster for drift reports. Over the rate, reports are coalesced rather than
 * dropped: per object, the latest is held with a count of the ones it replaced, and is recorded
 * (as that report, with `suppressed: { reports, detected }`) when the cluster has a token again. So
 * a flood costs the store one event per token whatever its size, and loses no object: only
 * repetitions, which are counted. Memory is bounded: HELD_OBJECTS reports per cluster, HELD_BYTES in
 * all; past either, reports are counted and the count rides on the cluster's next recorded report.
 */
export class DriftLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private heldBytes = 0;
  private readonly perMs: number;

  constructor(
    private readonly limits: Pick<ReportLimits, 'driftBurst' | 'driftPerMinute'>,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = limits.driftPerMinute / 60_000;
  }

  /** The report to record now, or undefined: it was coalesced, and `due` will give it (or a later one) back. */
  offer(cluster: string, r: FittedDrift): FittedDrift | undefined {
    const b = this.bucket(cluster);
    if (b.held.size === 0 && b.other.reports === 0 && b.tokens >= 1) {
      b.tokens -= 1;
      this.forgetIfIdle(cluster, b);
      return r;
    }
    const key = keyOf(r);
    const h = b.held.get(key);
    if (h) {
      this.heldBytes += r.bytes - h.latest.bytes;
      h.reports += 1;
      if (!h.latest.corrected) h.detected += 1;
      h.latest = r;
    } else if (b.held.size === 0 || (b.held.size < HELD_OBJECTS && this.heldBytes + r.bytes <= HELD_BYTES)) {
      this.heldBytes += r.bytes;
      b.held.set(key, { latest: r, reports: 0, detected: 0 });
    } else {
      b.other.reports += 1;
      if (!r.corrected) b.other.detected += 1;
    }
    return undefined;
  }

  /** Held reports whose cluster has a token again (each takes one), oldest object first, with their counts. */
  due(): { cluster: string; report: FittedDrift }[] {
    const out: { cluster: string; report: FittedDrift }[] = [];
    for (const [cluster, b] of this.buckets) {
      this.refill(b);
      for (const [key, h] of b.held) {
        if (b.tokens < 1) break;
        b.tokens -= 1;
        b.held.delete(key);
        this.heldBytes -= h.latest.bytes;
        const reports = h.reports + b.other.reports;
        const detected = h.detected + b.other.detected;
        const suppressed = {
          reports,
          detected,
          ...(b.other.reports > 0 ? { otherObjects: b.other.reports } : {}),
        };
        b.other = { reports: 0, detected: 0 };
        const report = reports > 0 ? { ...h.latest, payload: { ...h.latest.payload, suppressed } } : h.latest;
        out.push({ cluster, report });
      }
      this.forgetIfIdle(cluster, b);
    }
    return out;
  }

  /** Milliseconds until a held report is due; undefined when none is held. */
  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const b of this.buckets.values()) {
      if (b.held.size === 0) continue;
      this.refill(b);
      const ms = b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / this.perMs);
      next = next === undefined ? ms : Math.min(next, ms);
    }
    return next;
  }

  /** Clusters with a bucket in memory (a full bucket with nothing held is forgotten). */
  get size(): number {
    return this.buckets.size;
  }

  private bucket(cluster: string): Bucket {
    let b = this.buckets.get(cluster);
    if (!b) {
      b = { tokens: this.limits.driftBurst, at: this.now(), held: new Map(), other: { reports: 0, detected: 0 } };
      this.buckets.set(cluster, b);
    } else {
      this.refill(b);
    }
    return b;
  }

  private refill(b: Bucket): void {
    const t = this.now();
    b.tokens = Math.min(this.limits.driftBurst, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
  }

  private forgetIfIdle(cluster: string, b: Bucket): void {
    if (b.held.size === 0 && b.other.reports === 0 && b.tokens >= this.limits.driftBurst) this.buckets.delete(cluster);
  }
}
