import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent } from './bundles.js';
import { StoreInvalidError, type NewBundle } from './index.js';
import { useTempStore } from './testing.js';

const t = useTempStore();

function bundle(content: string | Buffer, objectCount = 1): NewBundle {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return { digest: createHash('sha256').update(bytes).digest('hex'), content: bytes, objectCount };
}

describe('bundle content encoding', () => {
  it('gzips what compresses and keeps what does not', () => {
    const text = Buffer.from('kind: ConfigMap\n'.repeat(200));
    const gz = encodeContent(text);
    expect(gz.encoding).toBe('gzip');
    expect(gz.content.length).toBeLessThan(text.length);
    expect(decodeContent(gz, 'd')).toEqual(text);
    const noise = randomBytes(512);
    const id = encodeContent(noise);
    expect(id.encoding).toBe('identity');
    expect(decodeContent(id, 'd')).toEqual(noise);
  });
});

describe('bundles', () => {
  it('stores once per digest: a second insert is a no-op', () => {
    const b = bundle('apiVersion: v1\nkind: Namespace\n'.repeat(50), 50);
    const first = t.store.bundles.put(b);
    expect(first).toEqual({
      inserted: true,
      bundle: { digest: b.digest, size: b.content.length, objectCount: 50, createdAt: '2025-01-01T00:00:00.000Z' },
    });
    t.clock += 1000;
    const again = t.store.bundles.put(b);
    expect(again).toEqual({ inserted: false, bundle: first.bundle });
    expect(t.store.bundles.list()).toHaveLength(1);
    expect(t.store.bundles.has(b.digest)).toBe(true);
    expect(t.store.bundles.content(b.digest)).toEqual(b.content);
  });

  it('round-trips incompressible content byte for byte', () => {
    const b = bundle(randomBytes(4096));
    t.store.bundles.put(b);
    expect(t.store.bundles.content(b.digest)).toEqual(b.content);
    expect(t.store.bundles.get(b.digest)?.size).toBe(4096);
  });

  it('refuses content that does not hash to its digest, and malformed digests', () => {
    const b = bundle('a');
    const wrong = { ...b, content: Buffer.from('b') };
    expect(() => t.store.bundles.put(wrong)).toThrow(StoreInvalidError);
    expect(() => t.store.bundles.put(wrong)).toThrow(`bundle ${b.digest}: content hashes to`);
    expect(() => t.store.bundles.put({ ...b, digest: b.digest.toUpperCase() })).toThrow(
      'is not a lowercase hex sha256',
    );
    expect(() => t.store.bundles.put({ ...b, objectCount: -1 })).toThrow('is not a count');
    expect(t.store.bundles.list()).toEqual([]);
  });

  it('answers undefined for an unknown digest', () => {
    expect(t.store.bundles.get('0'.repeat(64))).toBeUndefined();
    expect(t.store.bundles.content('0'.repeat(64))).toBeUndefined();
    expect(t.store.bundles.has('0'.repeat(64))).toBe(false);
  });

  it('prunes only old bundles no deployment uses', () => {
    t.store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
    t.store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev' });
    t.store.targets.put({ name: 'web', repo: 'apps', path: 'web', environments: ['dev'] });
    t.store.clusters.create({ name: 'c1' });
    const used = bundle('used');
    const unused = bundle('unused');
    t.store.bundles.put(used);
    t.store.bundles.put(unused);
    t.store.deployments.setDesired({ cluster: 'c1', target: 'web', environment: 'dev', bundle: used.digest });
    t.clock += 60_000;
    const fresh = bundle('fresh');
    t.store.bundles.put(fresh);

    expect(t.store.bundles.pruneUnreferenced('2025-01-01T00:00:30.000Z')).toBe(1);
    expect(
      t.store.bundles
        .list()
        .map((b) => b.digest)
        .sort(),
    ).toEqual([used.digest, fresh.digest].sort());
  });
});
