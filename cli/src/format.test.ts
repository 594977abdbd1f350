import { describe, expect, it } from 'vitest';
import { age, details, labelsText, render, short, table, worstFirst } from './format.js';

describe('table', () => {
  it('aligns columns under upper-case headers and leaves the last column unpadded', () => {
    const text = table(
      [
        { name: 'eu-1', state: 'Ready', msg: 'ok' },
        { name: 'us-east-2', state: 'ErrApplied', msg: undefined },
      ],
      [
        { header: 'name', value: (r) => r.name },
        { header: 'state', value: (r) => r.state },
        { header: 'message', value: (r) => r.msg },
      ],
    );
    expect(text.split('\n')).toEqual([
      'NAME       STATE       MESSAGE',
      'eu-1       Ready       ok',
      'us-east-2  ErrApplied  -',
    ]);
  });

  it('keeps one row per line when a value holds newlines', () => {
    const text = table([{ m: 'apply failed:\n  field x' }], [{ header: 'm', value: (r) => r.m }]);
    expect(text.split('\n')).toEqual(['M', 'apply failed: field x']);
  });
});

describe('worstFirst', () => {
  it.each([
    [
      ['Ready', 'ErrApplied', 'Pending'],
      ['ErrApplied', 'Pending', 'Ready'],
    ],
    [
      ['NotReady', 'Modified', 'WaitApplied', 'OutOfSync'],
      ['WaitApplied', 'Modified', 'OutOfSync', 'NotReady'],
    ],
    [
      ['Ready', 'SomethingNew'],
      ['SomethingNew', 'Ready'],
    ],
  ])('orders %j as %j', (states, expected) => {
    const rows = states.map((s, i) => ({ s, n: `c${i}` }));
    expect(
      worstFirst(
        rows,
        (r) => r.s,
        (r) => r.n,
      ).map((r) => r.s),
    ).toEqual(expected);
  });

  it('orders equal states by name and leaves its input alone', () => {
    const rows = [
      { s: 'Ready', n: 'b' },
      { s: 'Ready', n: 'a' },
    ];
    expect(
      worstFirst(
        rows,
        (r) => r.s,
        (r) => r.n,
      ).map((r) => r.n),
    ).toEqual(['a', 'b']);
    expect(rows[0]?.n).toBe('b');
  });
});

describe('render', () => {
  const data = { name: 'eu-1', labels: { env: 'prod' } };
  it('prints JSON and YAML unchanged, and the table view otherwise', () => {
    expect(JSON.parse(render('json', data, () => 'x'))).toEqual(data);
    expect(render('yaml', data, () => 'x')).toBe('name: eu-1\nlabels:\n  env: prod\n');
    expect(render('table', data, (d) => d.name)).toBe('eu-1\n');
  });
});

describe('small formatters', () => {
  it('shortens commits and digests', () => {
    expect(short('0123456789abcdef')).toBe('0123456');
    expect(short('sha256:abcdef0123456789', 12)).toBe('abcdef012345');
    expect(short(undefined)).toBeUndefined();
  });

  it('prints labels sorted, and a dash for none', () => {
    expect(labelsText({ region: 'eu', env: 'prod' })).toBe('env=prod,region=eu');
    expect(labelsText({})).toBe('-');
  });

  it('prints ages like kubectl', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(age('2026-01-01T11:59:30Z', now)).toBe('30s');
    expect(age('2026-01-01T11:30:00Z', now)).toBe('30m');
    expect(age('2026-01-01T02:00:00Z', now)).toBe('10h');
    expect(age('2025-12-25T12:00:00Z', now)).toBe('7d');
    expect(age(undefined, now)).toBeUndefined();
  });

  it('aligns key: value details', () => {
    expect(
      details([
        ['Name', 'eu-1'],
        ['Last seen', undefined],
      ]),
    ).toBe('Name:       eu-1\nLast seen:  -');
  });
});
