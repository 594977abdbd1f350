import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeContent, encodeContent } from './bundles.js';
import { openStore, StoreInvalidError, type NewBundle, type Store } from './index.js';

let dir: string;
let store: Store;
let clock: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-store-'));
  clock = Date.parse('2025-01-01T00:00:00Z');
  store = openStore(join(dir, 'hub.db'), { now: () => new Date(clock) });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

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
    const first = store.bundles.put(b);
    expect(first).toEqual({
      inserted: true,
      bundle: { digest: b.digest, size: b.content.length, objectCount: 50, createdAt: '2025-01-01T00:00:00.000Z' },
    });
    clock += 1000;
    const again = store.bundles.put(b);
    expect(again).toEqual({ inserted: false, bundle: first.bundle });
    expect(store.bundles.list()).toHaveLength(1);
    expect(store.bundles.has(b.digest)).toBe(true);
    expect(store.bundles.content(b.digest)).toEqual(b.content);
  });

  it('round-trips incompressible content byte for byte', () => {
    const b = bundle(randomBytes(4096));
    store.bundles.put(b);
    expect(store.bundles.content(b.digest)).toEqual(b.content);
    expect(store.bundles.get(b.digest)?.size).toBe(4096);
  });

  it('refuses content that does not hash to its digest, and malformed digests', () => {
    const b = bundle('a');
    const wrong = { ...b, content: Buffer.from('b') };
    expect(() => store.bundles.put(wrong)).toThrow(StoreInvalidError);
    expect(() => store.bundles.put(wrong)).toThrow(`bundle ${b.digest}: content hashes to`);
    expect(() => store.bundles.put({ ...b, digest: b.digest.toUpperCase() })).toThrow('is not a lowercase hex sha256');
    expect(() => store.bundles.put({ ...b, objectCount: -1 })).toThrow('is not a count');
    expect(store.bundles.list()).toEqual([]);
  });

  it('answers undefined for an unknown digest', () => {
    expect(store.bundles.get('0'.repeat(64))).toBeUndefined();
    expect(store.bundles.content('0'.repeat(64))).toBeUndefined();
    expect(store.bundles.has('0'.repeat(64))).toBe(false);
  });

  it('prunes only old bundles no deployment uses', () => {
    store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
    store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev' });
    store.targets.put({ name: 'web', repo: 'apps', path: 'web', environments: ['dev'] });
    store.clusters.create({ name: 'c1' });
    const used = bundle('used');
    const unused = bundle('unused');
    store.bundles.put(used);
    store.bundles.put(unused);
    store.deployments.setDesired({ cluster: 'c1', target: 'web', environment: 'dev', bundle: used.digest });
    clock += 60_000;
    const fresh = bundle('fresh');
    store.bundles.put(fresh);

    expect(store.bundles.pruneUnreferenced('2025-01-01T00:00:30.000Z')).toBe(1);
    expect(
      store.bundles
        .list()
        .map((b) => b.digest)
        .sort(),
    ).toEqual([used.digest, fresh.digest].sort());
  });
});
