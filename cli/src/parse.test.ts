import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { parseDuration, parseLabelPatch, parseLabels, parseOptions, parseSetValues, parseValuesFile } from './parse.js';

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

describe('parseSetValues (helm --set)', () => {
  it('nests dotted keys, types values as Helm does, lets later pairs win', () => {
    expect(
      parseSetValues([
        'image.tag=1.2.3',
        'image.pull=true',
        'replicas=3',
        'zip=007',
        'ratio=1.5',
        'gone=null',
        'annotations.app\\.io/x=y=z',
        'image.tag=1.2.4',
      ]),
    ).toEqual({
      image: { tag: '1.2.4', pull: true },
      replicas: 3,
      zip: '007',
      ratio: '1.5',
      gone: null,
      annotations: { 'app.io/x': 'y=z' },
    });
  });

  it.each(['novalue', '=x', 'a..b=1', 'list[0]=x'])('refuses %j, naming it', (bad) => {
    expect(() => parseSetValues([bad])).toThrow(UsageError);
    expect(() => parseSetValues([bad])).toThrow(`--set "${bad}"`);
  });
});

describe('parseValuesFile', () => {
  it('reads a map as YAML 1.1, and nothing from an empty file', () => {
    expect(parseValuesFile('a: {b: yes}\nmode: 0644\n', 'v.yaml')).toEqual({ a: { b: true }, mode: 420 });
    expect(parseValuesFile('# nothing\n', 'v.yaml')).toEqual({});
  });

  it.each([
    ['- a\n', '--values-file v.yaml must hold a map of Helm values, found a list'],
    ['a: [\n', '--values-file v.yaml: '],
    ['a: 1\na: 2\n', '--values-file v.yaml: '],
  ])('refuses %j', (text, message) => {
    expect(() => parseValuesFile(text, 'v.yaml')).toThrow(UsageError);
    expect(() => parseValuesFile(text, 'v.yaml')).toThrow(message);
  });
});
