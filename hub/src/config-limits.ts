import { DEFAULT_REPORT_LIMITS, MIN_DRIFT_REPORT_BYTES, type ReportLimits } from './protocol/report-limits.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from './store/retention.js';

/** Bounded storage: how long history is kept, and what one agent may make the hub store. */
export interface StorageLimits {
  retention: RetentionPolicy;
  reportLimits: ReportLimits;
}

/** The `serve` flags of these settings, for parseArgs. */
export const LIMIT_OPTIONS = {
  'event-retention-days': { type: 'string' },
  'event-retention-max': { type: 'string' },
  'drift-report-bytes': { type: 'string' },
  'drift-report-fields': { type: 'string' },
  'drift-burst': { type: 'string' },
  'drift-per-minute': { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof LIMIT_OPTIONS, string>>;

interface Setting {
  flag: keyof typeof LIMIT_OPTIONS;
  env: string;
  min: number;
  what: string;
}

const SETTINGS = {
  maxAgeDays: {
    flag: 'event-retention-days',
    env: 'FLOTILLA_EVENT_RETENTION_DAYS',
    min: 0,
    what: 'days (0: no age limit)',
  },
  maxEvents: {
    flag: 'event-retention-max',
    env: 'FLOTILLA_EVENT_RETENTION_MAX',
    min: 0,
    what: 'events (0: no count limit)',
  },
  driftReportBytes: {
    flag: 'drift-report-bytes',
    env: 'FLOTILLA_DRIFT_REPORT_BYTES',
    min: MIN_DRIFT_REPORT_BYTES,
    what: 'bytes',
  },
  driftFields: { flag: 'drift-report-fields', env: 'FLOTILLA_DRIFT_REPORT_FIELDS', min: 1, what: 'fields' },
  driftBurst: { flag: 'drift-burst', env: 'FLOTILLA_DRIFT_BURST', min: 1, what: 'reports' },
  driftPerMinute: { flag: 'drift-per-minute', env: 'FLOTILLA_DRIFT_PER_MINUTE', min: 1, what: 'reports a minute' },
} satisfies Record<keyof RetentionPolicy | keyof ReportLimits, Setting>;

/** Flags win over environment variables, which win over the defaults; `fail` makes the one error naming the setting. */
export function parseLimits(
  values: Values,
  env: Readonly<Record<string, string | undefined>>,
  fail: (message: string) => Error,
): StorageLimits {
  const read = (key: keyof typeof SETTINGS, fallback: number): number => {
    const s: Setting = SETTINGS[key];
    const raw = values[s.flag] ?? env[s.env];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(n) || n < s.min) {
      throw fail(`--${s.flag} / ${s.env}: "${raw}" is not a whole number of ${s.what} of at least ${s.min}`);
    }
    return n;
  };
  const r = DEFAULT_RETENTION;
  const l = DEFAULT_REPORT_LIMITS;
  return {
    retention: { maxAgeDays: read('maxAgeDays', r.maxAgeDays), maxEvents: read('maxEvents', r.maxEvents) },
    reportLimits: {
      driftReportBytes: read('driftReportBytes', l.driftReportBytes),
      driftFields: read('driftFields', l.driftFields),
      driftBurst: read('driftBurst', l.driftBurst),
      driftPerMinute: read('driftPerMinute', l.driftPerMinute),
    },
  };
}
