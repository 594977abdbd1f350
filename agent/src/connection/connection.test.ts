import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { BundleIntegrityError, decodeBundle } from './bundle-bytes.js';

describe('backoffDelay', () => {
  it.each([
    [0, 1, 500],
    [1, 1, 1000],
    [3, 1, 4000],
    [10, 1, 30_000],
    [50, 1, 30_000],
    [5, 0, 0],
    [2, 0.5, 1000],
  ])('attempt %i with random %f waits %i ms', (attempt, r, ms) => {
    expect(backoffDelay(attempt, () => r)).toBe(ms);
  });
});

describe('decodeBundle', () => {
  const bytes = Buffer.from(
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}\n{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}\n',
  );
  const digest = createHash('sha256').update(bytes).digest('hex');

  it('reads one object a line after checking the digest', () => {
    expect(decodeBundle(bytes, digest, 'dev/web').map((o) => o.kind)).toEqual(['ConfigMap', 'Namespace']);
    expect(decodeBundle(Buffer.alloc(0), createHash('sha256').update('').digest('hex'), 'x')).toEqual([]);
  });

  it('refuses bytes that do not hash to the announced digest, naming the bundle', () => {
    expect(() => decodeBundle(Buffer.from('{}\n'), digest, 'dev/web')).toThrow(BundleIntegrityError);
    expect(() => decodeBundle(Buffer.from('{}\n'), digest, 'dev/web')).toThrow(/bundle dev\/web: content hashes to/);
  });
});
