import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';
import { DEFAULT_REPORT_LIMITS } from './protocol/report-limits.js';
import { DEFAULT_RETENTION } from './store/retention.js';

describe('storage limits in the hub configuration', () => {
  it('defaults to 30 days and 2,000,000 events of history, and report limits a healthy fleet never reaches', () => {
    const c = parseConfig({}, []);
    expect(c.retention).toEqual({ maxAgeDays: 30, maxEvents: 2_000_000 });
    expect(c.retention).toEqual(DEFAULT_RETENTION);
    expect(c.reportLimits).toEqual({ driftReportBytes: 8192, driftFields: 32, driftBurst: 200, driftPerMinute: 12 });
    expect(c.reportLimits).toEqual(DEFAULT_REPORT_LIMITS);
  });

  it('takes flags over environment variables; 0 turns a retention limit off', () => {
    const c = parseConfig(
      {
        FLOTILLA_EVENT_RETENTION_DAYS: '7',
        FLOTILLA_EVENT_RETENTION_MAX: '5000',
        FLOTILLA_DRIFT_REPORT_BYTES: '4096',
        FLOTILLA_DRIFT_BURST: '50',
      },
      ['serve', '--event-retention-days', '0', '--drift-per-minute', '2', '--drift-report-fields', '8'],
    );
    expect(c.retention).toEqual({ maxAgeDays: 0, maxEvents: 5000 });
    expect(c.reportLimits).toEqual({ driftReportBytes: 4096, driftFields: 8, driftBurst: 50, driftPerMinute: 2 });
  });

  it('refuses a bad value, naming the flag, the variable and what it must be', () => {
    expect(() => parseConfig({ FLOTILLA_EVENT_RETENTION_DAYS: 'a month' }, [])).toThrow(
      new ConfigError(
        '--event-retention-days / FLOTILLA_EVENT_RETENTION_DAYS: "a month" is not a whole number of days (0: no age limit) of at least 0',
      ),
    );
    expect(() => parseConfig({}, ['--drift-report-bytes', '100'])).toThrow(
      /--drift-report-bytes \/ FLOTILLA_DRIFT_REPORT_BYTES: "100" is not a whole number of bytes of at least 2048/,
    );
    expect(() => parseConfig({}, ['--drift-burst', '0'])).toThrow(/--drift-burst .* at least 1/);
    expect(() => parseConfig({}, ['--drift-per-minute', '1.5'])).toThrow(/--drift-per-minute/);
    expect(() => parseConfig({ FLOTILLA_EVENT_RETENTION_MAX: '' }, [])).toThrow(/--event-retention-max/);
  });
});
