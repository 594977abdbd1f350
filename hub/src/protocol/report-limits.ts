import type { DriftReport__Output } from '@flotilla/proto';

/**
 * What one agent may make the hub store. A drift report is untrusted input that becomes an event (a
 * row kept for the retention period and served by the API): it is cut to size here, and the number of
 * them per cluster is rate limited (drift-limiter.ts). Statuses and heartbeats are not limited: each
 * rewrites one fixed-size row.
 */
export interface ReportLimits {
  /** The largest drift event payload, in bytes of JSON: longer values are cut, with a marker. */
  driftReportBytes: number;
  /** At most this many drifted fields per report; the rest are counted (`fieldsOmitted`). */
  driftFields: number;
  /** Drift reports a cluster may send at once (the token bucket's size). */
  driftBurst: number;
  /** Drift reports per minute a cluster may send, sustained (the bucket's refill). */
  driftPerMinute: number;
}

/**
 * A drift report of a real object is a few hundred bytes (a path or two, their values): 8 KiB keeps
 * whole values of a few KiB. A healthy cluster reports drift when someone edits what Git owns, a few
 * at a time; 200 at once covers an agent's backlog after a long cut (it keeps the newest drift while
 * disconnected), and 12 a minute a controller fighting the agent over a field every 5 seconds.
 */
export const DEFAULT_REPORT_LIMITS: ReportLimits = {
  driftReportBytes: 8192,
  driftFields: 32,
  driftBurst: 200,
  driftPerMinute: 12,
};

/** The smallest driftReportBytes that leaves room for a report's names and one field. */
export const MIN_DRIFT_REPORT_BYTES = 2048;

const OBJECT_MAX = 512;
const MANAGER_MAX = 256;
const PATH_MAX = 256;
/** Room each value keeps at least: a marker and a little of the value. */
const VALUE_MIN = 64;
/** Room for what the hub adds to a stored report: `truncated`, `fieldsOmitted`, `suppressed`. */
const ADDED_MAX = 160;

export interface DriftField {
  path: string;
  desired: string;
  live: string;
}

/** A drift report as the hub stores it (the payload of a DriftDetected or DriftCorrected event). */
export interface DriftPayload {
  [key: string]: string | number | boolean | DriftField[] | Record<string, number> | undefined;
  object: string;
  fields: DriftField[];
  manager: string;
  /** When the drifted fields were written (managedFields' time), by the agent's account; ms since the epoch. */
  changedAt: number;
  /** When the agent saw the drift, by its clock (see agentTime). */
  detectedAt: number;
  /** When self-heal restored the desired values, by the agent's clock; only in corrected reports. */
  correctedAt?: number;
  /** Some value, path or name was cut to fit (each cut one ends with a `…[truncated: N bytes]` marker). */
  truncated?: true;
  /** Fields of the report beyond what is kept. */
  fieldsOmitted?: number;
  /** This report stands for these too: reports over the cluster's rate, coalesced (drift-limiter.ts). */
  suppressed?: { reports: number; detected: number; otherObjects?: number };
}

export interface FittedDrift {
  /** The deployment it names (`environment/target`), as the agent sent it. */
  deployment: string;
  corrected: boolean;
  payload: DriftPayload;
  /** The payload's size in bytes of JSON. */
  bytes: number;
}

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2;

/** `s`, or its longest prefix that fits `max` bytes of JSON with a marker saying how long it was. */
export function cut(s: string, max: number): string {
  if (jsonBytes(s) <= max) return s;
  const marker = `…[truncated: ${Buffer.byteLength(s)} bytes]`;
  const room = max - jsonBytes(marker);
  let lo = 0;
  let hi = Math.min(s.length, Math.max(0, room));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(s.slice(0, mid)) <= room) lo = mid;
    else hi = mid - 1;
  }
  // Never half a surrogate pair.
  if (lo > 0 && /[\uD800-\uDBFF]/.test(s.charAt(lo - 1))) lo -= 1;
  return s.slice(0, lo) + marker;
}

/**
 * A time an agent reports, by its own clock: untrusted and maybe skewed. The hub keeps it (a report
 * queued while the hub was away says when things happened, not when the hub heard), but never after
 * `receivedAt`, the hub's clock when the report came: a clock ahead would date drift in the future.
 * A clock behind is kept as it is: the hub cannot tell it from a report kept long. No time (0, as
 * older agents send for correctedAt), or a negative or non-numeric one, is `receivedAt`.
 */
export function agentTime(ms: unknown, receivedAt: number): number {
  const t = Math.trunc(Number(ms));
  return Number.isFinite(t) && t > 0 ? Math.min(t, receivedAt) : receivedAt;
}

const objectName = (d: DriftReport__Output) => {
  const o = d.object;
  return o ? `${o.kind ?? ''}/${o.namespace ? `${o.namespace}/` : ''}${o.name ?? ''}` : '';
};

/**
 * The report as the hub stores it, at most `driftReportBytes`: the object, the manager and the
 * paths of up to `driftFields` fields are always kept (cut to a few hundred bytes each); the values
 * share what room is left, the small ones whole. Its times are the agent's, clamped (agentTime).
 */
export function fitDrift(
  d: DriftReport__Output,
  limits: Pick<ReportLimits, 'driftReportBytes' | 'driftFields'>,
  receivedAt: number = Date.now(),
): FittedDrift {
  let truncated = false;
  const fit = (s: string, max: number) => {
    const out = cut(s, max);
    if (out !== s) truncated = true;
    return out;
  };
  const object = fit(objectName(d), OBJECT_MAX);
  const manager = fit(d.manager ?? '', MANAGER_MAX);
  // Decoders fill in defaults; a hand-built message may still lack them.
  const all = (d.fields ?? []).map((f) => ({
    path: f.path ?? '',
    desired: f.desiredJson ?? '',
    live: f.liveJson ?? '',
  }));
  const kept = all.slice(0, limits.driftFields);
  const fields: DriftField[] = kept.map((f) => ({ path: fit(f.path, PATH_MAX), desired: '', live: '' }));
  const corrected = d.corrected === true;
  const detectedAt = agentTime(d.detectedAtUnixMs, receivedAt);
  // Not before its detection: both are the agent's clock, which may have been stepped back between them.
  const correctedAt = Math.max(detectedAt, agentTime(d.correctedAtUnixMs, receivedAt));
  const frame = (): DriftPayload => ({
    object,
    fields,
    manager,
    changedAt: agentTime(d.changedAtUnixMs, receivedAt),
    detectedAt,
    ...(corrected ? { correctedAt } : {}),
  });
  const frameBytes = () => Buffer.byteLength(JSON.stringify(frame())) + ADDED_MAX;
  while (fields.length > 0 && frameBytes() + 2 * fields.length * VALUE_MIN > limits.driftReportBytes) fields.pop();
  // Values smallest first, each taking no more than an even share of the room left.
  const values = kept.slice(0, fields.length).flatMap((f, i) => [
    { i, side: 'desired' as const, value: f.desired, bytes: jsonBytes(f.desired) },
    { i, side: 'live' as const, value: f.live, bytes: jsonBytes(f.live) },
  ]);
  values.sort((a, b) => a.bytes - b.bytes);
  let room = Math.max(0, limits.driftReportBytes - frameBytes());
  values.forEach((v, n) => {
    const value = fit(v.value, Math.floor(room / (values.length - n)));
    fields[v.i]![v.side] = value;
    room -= jsonBytes(value);
  });
  const payload = frame();
  const omitted = all.length - fields.length;
  if (omitted > 0) payload.fieldsOmitted = omitted;
  if (truncated) payload.truncated = true;
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  return { deployment: d.deployment, corrected, payload, bytes };
}
