import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BundleIntegrityError, decodeBundle } from './bundle-bytes.js';

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
    expect(() => decodeBundle(Buffer.from('{}\n'), digest, 'dev/web')).toThrow(
      new RegExp(`bundle ${digest} of deployment dev/web: content hashes to`),
    );
  });
});
