import { describe, expect, it } from 'vitest';
import { BytesLru } from './bytes-lru.js';

const b = (n: number) => Buffer.alloc(n);

describe('BytesLru', () => {
  it('keeps values within the byte budget, the least recently used out first', () => {
    const c = new BytesLru<Buffer>(10);
    c.set('a', b(4));
    c.set('b', b(4));
    expect(c.get('a')?.length).toBe(4); // a is now the most recently used
    c.set('c', b(4)); // 12 > 10: b goes
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.length).toBe(4);
    expect(c.get('c')?.length).toBe(4);
    expect(c.size).toBe(8);
  });

  it('replaces a key without counting it twice, and does not keep a value over the entry limit', () => {
    const c = new BytesLru<Buffer>(10, 5);
    c.set('a', b(4));
    c.set('a', b(5));
    expect(c.size).toBe(5);
    c.set('big', b(6));
    expect(c.get('big')).toBeUndefined();
    expect(c.size).toBe(5);
  });
});
