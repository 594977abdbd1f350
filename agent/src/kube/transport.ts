import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { KubeApiError, KubeUnreachableError, type ApiStatus } from '../errors.js';
import { realSleep, systemClock, type Clock, type Sleep } from '../util/time.js';
import type { ClusterAccess } from './config.js';
import { backoffDelay, DEFAULT_RETRY, isRetryableNetworkError, isRetryableStatus, type RetryPolicy } from './retry.js';

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestSpec {
  method: Verb;
  /** Path and query, e.g. `/api/v1/namespaces/a/configmaps?limit=500`. */
  path: string;
  body?: string;
  contentType?: string;
  /** What the request is about, for error messages (`apply ConfigMap/a/b`). */
  what: string;
}

/** Calls made to the apiserver, by kind; dry-runs and reads are not writes. */
export interface CallStats {
  reads: number;
  writes: number;
  dryRuns: number;
  retries: number;
  watches: number;
}

export interface TransportOptions {
  /** Concurrent connections for requests (watches use their own). */
  maxSockets?: number;
  retry?: RetryPolicy;
  timeoutMs?: number;
  clock?: Clock;
  sleep?: Sleep;
  random?: () => number;
}

interface RawResponse {
  status: number;
  text: string;
  retryAfter?: number;
}

/** HTTPS to one apiserver: keep-alive, JSON, retries with backoff, and call counters. */
export class Transport {
  readonly stats: CallStats = { reads: 0, writes: 0, dryRuns: 0, retries: 0, watches: 0 };
  private readonly agent: Agent;
  private readonly watchAgent: Agent;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly timeoutMs: number;

  constructor(
    readonly access: ClusterAccess,
    o: TransportOptions = {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 16, ...access.tls });
    this.watchAgent = new Agent({ keepAlive: false, ...access.tls });
    this.retry = o.retry ?? DEFAULT_RETRY;
    this.clock = o.clock ?? systemClock;
    this.sleep = o.sleep ?? realSleep;
    this.random = o.random ?? Math.random;
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  /** JSON of a 2xx answer; KubeApiError for a refusal; KubeUnreachableError when retries run out. */
  async request<T>(spec: RequestSpec): Promise<T> {
    return (await this.exchange<T>(spec)).body;
  }

  /** Like `request`, with the HTTP status (an apply answers 201 when it created the object). */
  async exchange<T>(spec: RequestSpec): Promise<{ status: number; body: T }> {
    const started = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      this.count(spec);
      let res: RawResponse;
      try {
        res = await this.once(spec);
      } catch (err) {
        if (!isRetryableNetworkError(err) || this.clock.now() - started >= this.retry.retryForMs) {
          throw new KubeUnreachableError(`${spec.what}: ${this.access.server} unreachable: ${(err as Error).message}`, {
            cause: err,
          });
        }
        await this.backoff(attempt);
        continue;
      }
      if (res.status < 400) return { status: res.status, body: (res.text ? JSON.parse(res.text) : {}) as T };
      if (isRetryableStatus(res.status) && this.clock.now() - started < this.retry.retryForMs) {
        await this.backoff(attempt, res.retryAfter);
        continue;
      }
      throw new KubeApiError(spec.what, parseStatus(res.status, res.text));
    }
  }

  /** Streams a watch: one callback per JSON line, until the server ends it or `signal` aborts. */
  async stream(path: string, what: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    this.stats.watches++;
    const opts = await this.options('GET', undefined, this.watchAgent);
    await new Promise<void>((resolve, reject) => {
      const req = request(new URL(path, this.access.server), { ...opts, signal }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          return collect(res).then((text) => reject(new KubeApiError(what, parseStatus(res.statusCode ?? 0, text))));
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) onLine(line);
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private count(spec: RequestSpec): void {
    if (spec.method === 'GET') this.stats.reads++;
    else if (spec.path.includes('dryRun=All')) this.stats.dryRuns++;
    else this.stats.writes++;
  }

  private async backoff(attempt: number, retryAfter?: number): Promise<void> {
    this.stats.retries++;
    await this.sleep(backoffDelay(attempt, this.retry, this.random, retryAfter));
  }

  private async options(method: Verb, contentType: string | undefined, agent: Agent): Promise<RequestOptions> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (contentType) headers['content-type'] = contentType;
    const opts: RequestOptions = { method, headers, agent };
    await this.access.authorize(opts);
    return opts;
  }

  private async once(spec: RequestSpec): Promise<RawResponse> {
    const opts = await this.options(spec.method, spec.contentType, this.agent);
    return new Promise((resolve, reject) => {
      const req = request(new URL(spec.path, this.access.server), opts, (res) => {
        collect(res).then((text) => {
          const ra = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, text, ...(ra ? { retryAfter: Number(ra) } : {}) });
        }, reject);
      });
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(Object.assign(new Error(`timed out after ${this.timeoutMs} ms`), { code: 'REQUEST_TIMEOUT' })),
      );
      req.on('error', reject);
      req.end(spec.body);
    });
  }
}

function collect(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** The apiserver's Status object, or the best reading of a non-Status body. */
export function parseStatus(code: number, text: string): ApiStatus {
  try {
    const s = JSON.parse(text) as Partial<ApiStatus> & { details?: { causes?: ApiStatus['causes'] } };
    if (typeof s.message === 'string') {
      return { code, reason: s.reason ?? '', message: s.message, causes: s.details?.causes ?? [] };
    }
  } catch {
    // not JSON: fall through
  }
  return { code, reason: '', message: text.trim().slice(0, 500) || `HTTP ${code}`, causes: [] };
}
