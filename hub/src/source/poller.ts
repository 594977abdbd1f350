export interface PollerOptions {
  /** Mean time between fetches (default 60 s). */
  intervalMs?: number;
  /** Spread, as a fraction of the interval, so that many repos do not fetch in lockstep (default 0.2). */
  jitter?: number;
  /** One fetch; its failures are the caller's to report, the poller carries on. */
  run: () => Promise<void>;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return { cancel: () => clearTimeout(t) };
};

/**
 * Polls at a jittered interval; `trigger()` (a webhook) runs at once. Never two runs at a time:
 * triggers that arrive during a run coalesce into one more run right after it.
 */
export class Poller {
  private timer: { cancel(): void } | undefined;
  private running = false;
  private again = false;
  private stopped = true;
  private readonly intervalMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly setTimer: NonNullable<PollerOptions['setTimer']>;
  /** Settles when the current run (if any) ends; for orderly shutdown and tests. */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly opts: PollerOptions) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
    this.setTimer = opts.setTimer ?? defaultTimer;
  }

  /** The next delay: interval × (1 ± jitter). */
  nextDelay(): number {
    return Math.round(this.intervalMs * (1 + this.jitter * (2 * this.random() - 1)));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.trigger();
  }

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.timer = undefined;
    this.running = true;
    this.idle = this.loop();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.opts.run();
      } catch {
        // run() reports its own failures; polling goes on.
      }
    } while (this.again && !this.stopped);
    this.running = false;
    if (!this.stopped) this.timer = this.setTimer(() => this.trigger(), this.nextDelay());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.idle;
  }
}
