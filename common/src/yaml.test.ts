import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ManifestSyntaxError, parseYamlDocuments, YAML_OPTIONS } from './yaml.js';

const value = (scalar: string): unknown => (parse(`v: ${scalar}\n`, YAML_OPTIONS) as { v: unknown }).v;

// Each expectation is what sigs.k8s.io/yaml (goyaml.v2/resolve.go, then encoding/json) makes of the
// plain scalar, i.e. what `kubectl apply` sends.
describe('YAML_OPTIONS reads scalars as kubectl does', () => {
  it.each([
    ['0644', 420],
    ['0755', 493],
    ['+0644', 420],
    ['-0644', -420],
    ['0o644', 420],
    ['0O644', 420],
    ['0x1F', 31],
    ['0X1f', 31],
    ['-0x1F', -31],
    ['0x_1F', 31],
    ['0b101', 5],
    ['0B101', 5],
    ['-0b101', -5],
    ['1_000', 1000],
    ['0', 0],
    ['00', 0],
    ['42', 42],
    ['+12', 12],
  ])('integer %s is %d', (scalar, expected) => {
    expect(value(scalar)).toBe(expected);
  });

  it.each([
    ['08', 8],
    ['0128', 128],
    ['09.5', 9.5],
    ['1.5', 1.5],
    ['1.', 1],
    ['.5', 0.5],
    ['+.5', 0.5],
    ['-.5', -0.5],
    ['.5e3', 500],
    ['1e3', 1000],
    ['1E3', 1000],
    ['+1.5E-3', 0.0015],
    ['1_0.5', 10.5],
  ])('float %s is %d', (scalar, expected) => {
    expect(value(scalar)).toBe(expected);
  });

  it.each([
    ['.inf', Number.POSITIVE_INFINITY],
    ['+.Inf', Number.POSITIVE_INFINITY],
    ['-.INF', Number.NEGATIVE_INFINITY],
    ['.NaN', Number.NaN],
  ])('%s is the special float %d', (scalar, expected) => {
    expect(value(scalar)).toBe(expected);
  });

  it.each(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'])('%s is true', (scalar) => {
    expect(value(scalar)).toBe(true);
  });

  it.each(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])('%s is false', (scalar) => {
    expect(value(scalar)).toBe(false);
  });

  it.each(['~', 'null', 'Null', 'NULL', ''])('%j is null', (scalar) => {
    expect(value(scalar)).toBeNull();
  });

  it.each([
    // base 60 is "purposefully not supported" by go-yaml, and so a string
    '1:20',
    '190:20:30.15',
    // timestamps reach an interface{} as their text
    '2024-01-02',
    '2001-12-14t21:59:43.10-05:00',
    // not numbers to Go
    '.',
    '.5_0',
    '_1',
    '0x',
    '1e',
    '0o8',
    '+',
    'yess',
    'nO',
    '"0644"',
  ])('%s is a string', (scalar) => {
    expect(value(scalar)).toBe(scalar.startsWith('"') ? scalar.slice(1, -1) : scalar);
  });

  it('merges `<<` keys and refuses duplicate keys', () => {
    expect(parse('base: &b {a: 1}\nm:\n  <<: *b\n  c: 2\n', YAML_OPTIONS)).toEqual({
      base: { a: 1 },
      m: { a: 1, c: 2 },
    });
    expect(() => parse('a: 1\na: 2\n', YAML_OPTIONS)).toThrow(/Map keys must be unique/);
  });
});

describe('parseYamlDocuments', () => {
  it('names file:line:column of the first syntax error', () => {
    const run = () => parseYamlDocuments('a: 1\n---\nb: [1, 2\nc: 3\n', 'dir/x.yaml');
    expect(run).toThrow(ManifestSyntaxError);
    expect(run).toThrow(/^dir\/x\.yaml:4:1: /);
  });

  it('returns no documents for an empty text', () => {
    expect(parseYamlDocuments('', 'x.yaml').documents).toHaveLength(0);
    expect(parseYamlDocuments('# only a comment\n', 'x.yaml').documents).toHaveLength(0);
  });
});
