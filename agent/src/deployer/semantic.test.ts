import { describe, expect, it } from 'vitest';
import { parseQuantity, semanticEqual } from './semantic.js';

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    [2, 2],
    ['1Gi', 2 ** 30],
    ['1024Mi', 2 ** 30],
    ['1.5k', 1500],
    ['1e3', 1000],
    ['abc', undefined],
    ['1 Gi', undefined],
  ])('%s → %s', (q, v) => expect(parseQuantity(q)).toBe(v));
});

describe('semanticEqual', () => {
  it('compares quantities by value where the schema has quantities', () => {
    expect(semanticEqual('1000m', '1', ['resources', 'limits', 'cpu'])).toBe(true);
    expect(semanticEqual('1024Mi', '1Gi', ['resources', 'requests', 'memory'])).toBe(true);
    expect(semanticEqual('1', '1.0', ['data', 'version'])).toBe(false);
  });

  it('treats empty and absent alike, and allows defaulted extras in live objects', () => {
    expect(semanticEqual([], undefined)).toBe(true);
    expect(semanticEqual({}, undefined)).toBe(true);
    expect(semanticEqual({ a: 1 }, { a: 1, b: 2 })).toBe(true);
    expect(semanticEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(semanticEqual([1, 2], [2, 1])).toBe(false);
    expect(semanticEqual('x', undefined)).toBe(false);
  });
});
