import { describe, expect, it } from 'vitest';
import { canonicalJson, isPlainObject } from './objects.js';

describe('isPlainObject', () => {
  it.each([{}, { a: 1 }, Object.create(null) as object, JSON.parse('{"a":[1]}') as object])('accepts %j', (value) =>
    expect(isPlainObject(value)).toBe(true),
  );

  it.each([null, undefined, [], [1], 'a', 1, true, new Date(0), new Map(), new (class Thing {})()])(
    'refuses %j',
    (value) => expect(isPlainObject(value)).toBe(false),
  );
});

describe('canonicalJson', () => {
  it('sorts the keys of every map, keeps array order, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('writes equal values equally whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });
});
