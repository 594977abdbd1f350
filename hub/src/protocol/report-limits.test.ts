import { describe, expect, it } from 'vitest';
import type { DriftReport__Output } from '@flotilla/proto';
import { agentTime, cut, DEFAULT_REPORT_LIMITS, fitDrift } from './report-limits.js';

const report = (
  fields: { path: string; desiredJson: string; liveJson: string }[],
  extra = {},
): DriftReport__Output => ({
  deployment: 'prod/web',
  object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web' },
  fields,
  manager: 'kubectl-edit',
  changedAtUnixMs: '1767225600000',
  detectedAtUnixMs: '1767225601000',
  corrected: false,
  ...extra,
});
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
const limits = DEFAULT_REPORT_LIMITS;

describe('cut', () => {
  it('keeps what fits, and cuts the rest to the size with a marker saying how long it was', () => {
    expect(cut('short', 10)).toBe('short');
    const long = 'x'.repeat(1000);
    const c = cut(long, 100);
    expect(c).toMatch(/^x+…\[truncated: 1000 bytes\]$/);
    expect(bytes(c) - 2).toBeLessThanOrEqual(100);
    expect(bytes(c) - 2).toBeGreaterThan(90);
  });

  it('measures in bytes of JSON: escapes and multi-byte characters count as what they cost', () => {
    for (const unit of ['"', '\n', 'é', '名', '😀']) {
      const c = cut(unit.repeat(500), 80);
      expect(bytes(c) - 2).toBeLessThanOrEqual(80);
      // Never half a surrogate pair.
      expect(c).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
  });
});

describe('agentTime', () => {
  const received = 1767225700000;
  it.each([
    ['a time before the report came, kept', '1767225601000', 1767225601000],
    ['a clock ahead: not after the hub received the report', '1767229300000', received],
    ['no time (an older agent)', '0', received],
    ['absent', undefined, received],
    ['negative', '-5', received],
    ['not a number', 'soon', received],
    ['not finite', Infinity, received],
    ['a fraction of a millisecond, truncated', 1767225601000.7, 1767225601000],
  ])('%s', (_what, ms, want) => {
    expect(agentTime(ms, received)).toBe(want);
  });
});

describe('fitDrift', () => {
  it('keeps the agent’s times, clamped to when the hub received the report; correctedAt only when corrected', () => {
    const received = 1767225700000;
    const late = report([], { corrected: true, correctedAtUnixMs: '1767225602000' });
    expect(fitDrift(late, limits, received).payload).toMatchObject({
      changedAt: 1767225600000,
      detectedAt: 1767225601000,
      correctedAt: 1767225602000,
    });
    // An agent clock an hour ahead, and one stepped back between detection and correction.
    const ahead = report([], {
      detectedAtUnixMs: '1767229300000',
      corrected: true,
      correctedAtUnixMs: '1767229400000',
    });
    expect(fitDrift(ahead, limits, received).payload).toMatchObject({ detectedAt: received, correctedAt: received });
    const back = report([], { corrected: true, correctedAtUnixMs: '1767225000000' });
    expect(fitDrift(back, limits, received).payload).toMatchObject({ correctedAt: 1767225601000 });
    // Corrected, from an agent that does not say when: when the hub heard.
    expect(fitDrift(report([], { corrected: true }), limits, received).payload.correctedAt).toBe(received);
    expect(fitDrift(report([]), limits, received).payload).not.toHaveProperty('correctedAt');
  });

  it('keeps a normal report as it is', () => {
    const r = report([{ path: '/spec/replicas', desiredJson: '3', liveJson: '5' }]);
    expect(fitDrift(r, limits)).toEqual({
      deployment: 'prod/web',
      corrected: false,
      payload: {
        object: 'ConfigMap/shop/web',
        fields: [{ path: '/spec/replicas', desired: '3', live: '5' }],
        manager: 'kubectl-edit',
        changedAt: 1767225600000,
        detectedAt: 1767225601000,
      },
      bytes: expect.any(Number),
    });
  });

  it('cuts a 100 KB value to fit, keeping which object, which fields and which manager, and small values whole', () => {
    const big = JSON.stringify('v'.repeat(100_000));
    const r = report([
      { path: '/data/big', desiredJson: big, liveJson: '"small"' },
      { path: '/data/other', desiredJson: '"a"', liveJson: '"b"' },
    ]);
    const f = fitDrift(r, limits);
    expect(f.bytes).toBeLessThanOrEqual(limits.driftReportBytes);
    expect(bytes(f.payload)).toBe(f.bytes);
    expect(f.payload).toMatchObject({ object: 'ConfigMap/shop/web', manager: 'kubectl-edit', truncated: true });
    expect(f.payload.fields.map((x) => x.path)).toEqual(['/data/big', '/data/other']);
    expect(f.payload.fields[0]!.desired).toMatch(/^"v+…\[truncated: 100002 bytes\]$/);
    // The rest of the room goes to the big value; the small ones are whole.
    expect(f.payload.fields[0]!.desired.length).toBeGreaterThan(limits.driftReportBytes / 2);
    expect(f.payload.fields[0]!.live).toBe('"small"');
    expect(f.payload.fields[1]).toEqual({ path: '/data/other', desired: '"a"', live: '"b"' });
  });

  it('keeps at most driftFields fields and counts the others', () => {
    const fields = Array.from({ length: 500 }, (_, i) => ({
      path: `/data/k${i}`,
      desiredJson: '"1"',
      liveJson: '"2"',
    }));
    const f = fitDrift(report(fields), limits);
    expect(f.payload.fields).toHaveLength(limits.driftFields);
    expect(f.payload.fieldsOmitted).toBe(500 - limits.driftFields);
    expect(f.payload.truncated).toBeUndefined();
  });

  it('stays within the limit whatever the agent sends: huge names, paths, manager, every value huge', () => {
    const huge = '\u00e9"'.repeat(60_000);
    const fields = Array.from({ length: 40 }, () => ({ path: huge, desiredJson: huge, liveJson: huge }));
    const r = report(fields, {
      object: { apiVersion: 'v1', kind: huge, namespace: huge, name: huge },
      manager: huge,
      deployment: 'prod/web',
    });
    for (const driftReportBytes of [2048, 4096, 8192, 65_536]) {
      const f = fitDrift(r, { driftReportBytes, driftFields: 32 });
      expect(f.bytes).toBeLessThanOrEqual(driftReportBytes);
      expect(f.payload.fields.length).toBeGreaterThan(0);
      expect(f.payload.fields.length + (f.payload.fieldsOmitted ?? 0)).toBe(40);
      expect(f.payload.object.length).toBeLessThan(600);
      expect(f.payload.manager).toMatch(/…\[truncated: 180000 bytes\]$/);
    }
  });
});
