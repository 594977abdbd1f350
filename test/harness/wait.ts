export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Names what is awaited, for the error message. */
  what: string;
  /** Called on each failed attempt: return a reason to stop waiting at once (e.g. the process died). */
  abort?: () => string | undefined;
}

export class WaitTimeoutError extends Error {
  readonly code = 'WAIT_TIMEOUT';
}

/** Polls `probe` (synchronous or not) until it returns or resolves truthy, with a deadline. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    const aborted = opts.abort?.();
    if (aborted !== undefined) throw new Error(`${opts.what}: ${aborted}`, { cause: lastError });
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new WaitTimeoutError(`${opts.what}: not ready after ${opts.timeoutMs} ms${detail}`, {
        cause: lastError,
      });
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
