import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';

/** What one client address did in one window: one `AuthFailed` event. */
export interface AuthFailureReport {
  /** The client address (an IPv6 client by its /64), or `*` for addresses folded together. */
  address: string;
  failures: number;
  /** Of those, answered 429 instead of 401. */
  refused: number;
  /** Failures by reason (unknown, revoked, expired, malformed). */
  reasons: Record<string, number>;
  firstAt: string;
  lastAt: string;
  /** For `*`: how many addresses were folded into it. */
  addresses?: number;
}

export interface AuthThrottleOptions {
  /** Failures allowed at once per address. */
  burst: number;
  /** `burst` is refilled over this; it is also the audit window. */
  periodSeconds: number;
  /** Addresses tracked at once, least recently failing out first (default 10,000). */
  maxAddresses?: number;
  /** Events per period before further addresses are folded into one `*` event (default 100). */
  maxReportsPerPeriod?: number;
  report: (r: AuthFailureReport) => void;
  now?: () => number;
}

interface Entry {
  tokens: number;
  refilledAt: number;
  window?: { start: number; last: number; failures: number; refused: number; reasons: Record<string, number> };
}

/** IPv4 (also IPv4-mapped IPv6) as it is; IPv6 by its /64, which one client can rotate freely. */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Failed bearer tokens per client address: a token bucket (`burst`, refilled over `periodSeconds`)
 * that turns further failures into 429s, and one audit report per address per window with the
 * count. Memory is bounded: at most `maxAddresses` entries (an LRU, lru-cache's, so an attacker rotating
 * addresses evicts old ones instead of growing the map), and at most `maxReportsPerPeriod` reports per period
 * plus one `*` report for the rest. Valid tokens are never throttled: tokens are 256-bit random, so
 * refusing them would stop no guess, while it would let anyone sharing an address (a NAT, an
 * ingress) lock every operator out.
 */
export class AuthThrottle {
  private readonly entries: LRUCache<string, Entry>;
  private readonly rate: number;
  private readonly periodMs: number;
  private readonly maxReports: number;
  private readonly now: () => number;
  private folded: AuthFailureReport | undefined;
  private foldedAt = 0;
  private reportsSince = { start: 0, count: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AuthThrottleOptions) {
    this.periodMs = o.periodSeconds * 1000;
    this.rate = o.burst / this.periodMs;
    this.maxReports = o.maxReportsPerPeriod ?? 100;
    this.now = o.now ?? Date.now;
    this.entries = new LRUCache<string, Entry>({
      max: o.maxAddresses ?? 10_000,
      // An address pushed out by newer ones still counts: its open window goes into the `*` report.
      dispose: (old, _address, reason) => {
        if (reason === 'evict' && old.window) this.fold(old.window, this.now());
      },
    });
  }

  /** Records a failed bearer token; `retryAfterSeconds` when the address is over its limit. */
  failed(ip: string, reason: string): { address: string; retryAfterSeconds?: number } {
    const address = clientKey(ip);
    const now = this.now();
    const e = this.touch(address, now);
    e.tokens = Math.min(this.o.burst, e.tokens + (now - e.refilledAt) * this.rate);
    e.refilledAt = now;
    const w = (e.window ??= { start: now, last: now, failures: 0, refused: 0, reasons: {} });
    w.last = now;
    w.failures++;
    w.reasons[reason] = (w.reasons[reason] ?? 0) + 1;
    if (e.tokens >= 1) {
      e.tokens -= 1;
      return { address };
    }
    w.refused++;
    return { address, retryAfterSeconds: Math.max(1, Math.ceil((1 - e.tokens) / this.rate / 1000)) };
  }

  /** Reports windows that ended and forgets addresses with nothing left to remember. */
  sweep(all = false): void {
    const now = this.now();
    const idle: string[] = [];
    // Least recently failing first, as they were recorded.
    for (const address of this.entries.rkeys()) {
      const e = this.entries.peek(address);
      if (!e) continue;
      if (e.window && (all || now - e.window.start >= this.periodMs)) {
        this.emit(address, e.window, now);
        e.window = undefined;
      }
      const full = e.tokens + (now - e.refilledAt) * this.rate >= this.o.burst;
      if (!e.window && full) idle.push(address);
    }
    for (const address of idle) this.entries.delete(address);
    if (this.folded && (all || now - this.foldedAt >= this.periodMs)) {
      this.o.report(this.folded);
      this.folded = undefined;
    }
  }

  /** Sweeps every quarter period (unref'd: it never keeps the hub alive). */
  start(): void {
    this.timer ??= setInterval(() => this.sweep(), Math.max(250, this.periodMs / 4));
    this.timer.unref();
  }

  /** Stops the timer and reports every open window. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sweep(true);
  }

  /** Addresses held now (for tests of the bound). */
  get size(): number {
    return this.entries.size;
  }

  private touch(address: string, now: number): Entry {
    const had = this.entries.get(address);
    if (had) return had;
    const e: Entry = { tokens: this.o.burst, refilledAt: now };
    this.entries.set(address, e);
    return e;
  }

  private emit(address: string, w: NonNullable<Entry['window']>, now: number): void {
    if (now - this.reportsSince.start >= this.periodMs) this.reportsSince = { start: now, count: 0 };
    if (this.reportsSince.count >= this.maxReports) return this.fold(w, now);
    this.reportsSince.count++;
    this.o.report({
      address,
      failures: w.failures,
      refused: w.refused,
      reasons: w.reasons,
      firstAt: new Date(w.start).toISOString(),
      lastAt: new Date(w.last).toISOString(),
    });
  }

  private fold(w: NonNullable<Entry['window']>, now: number): void {
    if (!this.folded) this.foldedAt = now;
    const f = (this.folded ??= {
      address: '*',
      failures: 0,
      refused: 0,
      reasons: {},
      firstAt: new Date(now).toISOString(),
      lastAt: new Date(now).toISOString(),
      addresses: 0,
    });
    f.failures += w.failures;
    f.refused += w.refused;
    f.addresses = (f.addresses ?? 0) + 1;
    for (const [k, n] of Object.entries(w.reasons)) f.reasons[k] = (f.reasons[k] ?? 0) + n;
    if (w.start < Date.parse(f.firstAt)) f.firstAt = new Date(w.start).toISOString();
    f.lastAt = new Date(Math.max(w.last, Date.parse(f.lastAt))).toISOString();
  }
}
