import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { parseDuration, parseLabelPatch, parseLabels, parseOptions } from './parse.js';

describe('parseLabels', () => {
  it('reads repeated and comma-separated key=value pairs', () => {
    expect(parseLabels(['env=prod', 'region=eu,tier=web', 'example.com/team=a'])).toEqual({
      env: 'prod',
      region: 'eu',
      tier: 'web',
      'example.com/team': 'a',
    });
  });

  it.each(['env', '=prod', 'bad key=x'])('refuses %j, naming it', (bad) => {
    expect(() => parseLabels([bad])).toThrow(UsageError);
    expect(() => parseLabels([bad])).toThrow(bad);
  });

  it("holds keys and values to the hub's rule: lengths, characters, escaped in the message", () => {
    expect(() => parseLabels([`${'k'.repeat(64)}=v`])).toThrow(/its name has 64 characters, more than 63/);
    expect(() => parseLabels([`tier=${'v'.repeat(64)}`])).toThrow(/value "v{64}" is not a valid label value/);
    expect(() => parseLabels(['tier=\u001b[31mgold'])).toThrow('value "\\u001b[31mgold" is not a valid label value');
    expect(parseLabels(['empty='])).toEqual({ empty: '' });
  });
});

describe('parseLabelPatch', () => {
  it('sets key=value and removes key-', () => {
    expect(parseLabelPatch(['env=prod', 'canary-'])).toEqual({ set: { env: 'prod' }, remove: ['canary'] });
    expect(parseLabelPatch(['canary-'])).toEqual({ remove: ['canary'] });
  });

  it('refuses no edits and a key both set and removed', () => {
    expect(() => parseLabelPatch([])).toThrow(/no label changes/);
    expect(() => parseLabelPatch(['env=a', 'env-'])).toThrow(/both set and removed/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5x', 'm5', '5m junk'])('refuses %j', (bad) =>
    expect(() => parseDuration(bad, '--timeout')).toThrow(/--timeout/),
  );
});

describe('parseOptions', () => {
  it('turns booleans and numbers into JSON values', () => {
    expect(parseOptions(['selfHeal=false', 'prune=true', 'retries=3', 'namespace=web'])).toEqual({
      selfHeal: false,
      prune: true,
      retries: 3,
      namespace: 'web',
    });
  });
});
