/** Exponential backoff with full jitter: a random delay in [0, min(max, base·2^attempt)]. */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  maxMs = 30_000,
): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16)));
}
