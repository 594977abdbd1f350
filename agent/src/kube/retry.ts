/** How long and how often a failed request is retried. */
export interface RetryPolicy {
  /** Give up once this much time has passed since the first attempt. */
  retryForMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retryForMs: 60_000, baseDelayMs: 200, maxDelayMs: 5_000 };

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'REQUEST_TIMEOUT',
]);

/** A failure worth retrying: the apiserver restarting, overloaded, or the network dropping. */
export function isRetryableNetworkError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (e.code !== undefined && NETWORK_CODES.has(e.code)) || /socket hang up/i.test(e.message ?? '');
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 504);
}

/** Exponential backoff with full jitter; `retryAfterS` (the server's hint) wins when larger. */
export function backoffDelay(attempt: number, p: RetryPolicy, random: () => number, retryAfterS?: number): number {
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(exp / 2 + (random() * exp) / 2);
  const hinted = retryAfterS !== undefined && Number.isFinite(retryAfterS) ? retryAfterS * 1000 : 0;
  return Math.min(p.maxDelayMs, Math.max(jittered, hinted));
}
