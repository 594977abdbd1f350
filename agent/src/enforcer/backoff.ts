import type { RetryInfo } from '../deployer/report.js';
import { backoffDelay } from '../kube/retry.js';
import type { Clock, Sleep } from '../util/time.js';

export type { RetryInfo };

/** How long a bundle whose apply failed waits before the next apply: `baseMs`, doubling, to `maxMs`. */
export interface ApplyRetryPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Seconds at first, a few minutes at most: a cause fixed in the cluster (a namespace created by hand,
 * a quota raised) is picked up within seconds, and a bundle that fails for good costs a reconcile
 * every five minutes, no more than the resync.
 */
export const APPLY_RETRY: ApplyRetryPolicy = { baseMs: 2_000, maxMs: 300_000 };

export interface RetryScheduleOptions {
  policy?: ApplyRetryPolicy;
  clock: Clock;
  sleep: Sleep;
  /** Jitter, so that bundles failing together (a cluster-wide cause) do not retry in step. */
  random?: () => number;
  /** Applies the bundle again; called once per scheduled retry that was not cancelled. */
  run: (deployment: string) => void;
}

interface Pending {
  info: RetryInfo;
  cancel: AbortController;
}

/**
 * Per deployment: a failed apply schedules the next after an exponential backoff with jitter; each
 * further failure in a row doubles it, a success (or a retry asked for now) starts it over.
 */
export class RetrySchedule {
  private readonly failures = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private readonly policy: ApplyRetryPolicy;

  constructor(private readonly o: RetryScheduleOptions) {
    this.policy = o.policy ?? APPLY_RETRY;
  }

  /** The bundle's apply failed: schedules the next one and says when. */
  failed(deployment: string, reason: string): RetryInfo {
    this.cancel(deployment);
    const attempt = (this.failures.get(deployment) ?? 0) + 1;
    this.failures.set(deployment, attempt);
    const delay = backoffDelay(
      attempt,
      { retryForMs: Infinity, baseDelayMs: this.policy.baseMs, maxDelayMs: this.policy.maxMs },
      this.o.random ?? Math.random,
    );
    const p: Pending = { info: { attempt, at: this.o.clock.now() + delay, reason }, cancel: new AbortController() };
    this.pending.set(deployment, p);
    void this.o.sleep(delay, p.cancel.signal).then(() => {
      if (p.cancel.signal.aborted || this.pending.get(deployment) !== p) return;
      this.pending.delete(deployment);
      this.o.run(deployment);
    });
    return p.info;
  }

  /** The bundle applied (or is asked to apply now, or is gone): no retry, and the backoff starts over. */
  reset(deployment: string): void {
    this.cancel(deployment);
    this.failures.delete(deployment);
  }

  /** The retry scheduled for the bundle, if it is failing. */
  info(deployment: string): RetryInfo | undefined {
    return this.pending.get(deployment)?.info;
  }

  stop(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id);
    this.failures.clear();
  }

  private cancel(deployment: string): void {
    this.pending.get(deployment)?.cancel.abort();
    this.pending.delete(deployment);
  }
}
