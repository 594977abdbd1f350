import type { EventSweeper, SweepStep } from './event-retention.js';

/** How long events (drift history included) are kept. 0 turns a limit off. */
export interface RetentionPolicy {
  /** Events older than this many days are removed. */
  maxAgeDays: number;
  /** At most this many events are kept (the newest). */
  maxEvents: number;
}

/**
 * 30 days of history; 2,000,000 events is about 20 rollouts of a 10,000-cluster fleet a day over
 * those 30 days, at a few hundred bytes each (a drift report at most 8 KiB, see report-limits.ts).
 */
export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeDays: 30, maxEvents: 2_000_000 };

export interface RetentionSweeperOptions {
  events: EventSweeper;
  policy: RetentionPolicy;
  now?: () => Date;
  /** Waits between steps and between sweeps; injected so tests run without real time. */
  sleep?: (ms: number) => Promise<void>;
  /** Events per step (one write transaction); default 500. */
  batch?: number;
  /** Pause between steps, so that status reports fold between them; default 20 ms. */
  pauseMs?: number;
  /** Between sweeps; default 10 minutes. */
  intervalMs?: number;
  /** A sweep removed events (for the log). */
  onSwept?: (r: { deleted: number; sweptThrough: number; ms: number }) => void;
  onError?: (err: unknown) => void;
}

const DAY_MS = 86_400_000;

/**
 * Removes events that the retention policy no longer keeps, oldest first, in small steps: SQLite has
 * one writer, and the agents' status reports fold through it, so no step holds the write lock for
 * long (a step of 500 events takes a few milliseconds), and each is followed by a pause.
 */
export class RetentionSweeper {
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private wake: () => void = () => undefined;
  private readonly stopping = new Promise<void>((r) => (this.wake = r));

  constructor(private readonly o: RetentionSweeperOptions) {
    this.now = o.now ?? (() => new Date());
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
  }

  /** A wait that `stop` cuts short. */
  private wait(ms: number): Promise<void> {
    return Promise.race([this.sleep(ms), this.stopping]);
  }

  /** Sweeps now, then every interval, until `stop`. */
  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  /** One whole sweep: steps until nothing more goes. Resolves with how many events went. */
  async sweep(): Promise<number> {
    const { maxAgeDays, maxEvents } = this.o.policy;
    if (maxAgeDays <= 0 && maxEvents <= 0) return 0;
    const started = this.now().getTime();
    const limits = {
      ...(maxAgeDays > 0 ? { before: new Date(started - maxAgeDays * DAY_MS).toISOString() } : {}),
      ...(maxEvents > 0 ? { keepNewest: maxEvents } : {}),
      batch: this.o.batch ?? 500,
    };
    let deleted = 0;
    let step: SweepStep;
    do {
      step = this.o.events.sweepStep(limits);
      deleted += step.deleted;
      if (step.more && !this.stopped) await this.wait(this.o.pauseMs ?? 20);
    } while (step.more && !this.stopped);
    if (deleted > 0) {
      this.o.onSwept?.({ deleted, sweptThrough: step.sweptThrough, ms: this.now().getTime() - started });
    }
    return deleted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.sweep();
      } catch (err) {
        this.o.onError?.(err);
      }
      if (!this.stopped) await this.wait(this.o.intervalMs ?? 600_000);
    }
  }
}
