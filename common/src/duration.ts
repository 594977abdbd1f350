const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `90` (seconds), `90s`, `1.5m`, `1h30m`, `2d` or `250ms` in whole milliseconds; `undefined` when the
 * text is not a duration, for the caller to name its flag in the error.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let end = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    end = part.lastIndex;
  }
  return trimmed === '' || end !== trimmed.length ? undefined : Math.round(total);
}
