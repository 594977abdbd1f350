import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultOptions, type Bundle } from '../deployer/bundle.js';
import { BundleCache } from './cache.js';

const dirs: string[] = [];
const cacheDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'flotilla-cache-'));
  dirs.push(d);
  return join(d, 'bundles');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'shop' } };

describe('BundleCache', () => {
  it('keeps one bundle per deployment, replaced and removed by deployment', async () => {
    const cache = new BundleCache(cacheDir());
    const web: Bundle = {
      deployment: 'dev/web',
      digest: 'a'.repeat(64),
      objects: [configMap],
      options: defaultOptions(),
    };
    await cache.save(web);
    await cache.save({ ...web, deployment: 'dev/db' });
    await cache.save({ ...web, digest: 'b'.repeat(64) });
    expect((await cache.load()).map((b) => [b.deployment, b.digest]).sort()).toEqual([
      ['dev/db', 'a'.repeat(64)],
      ['dev/web', 'b'.repeat(64)],
    ]);
    await cache.remove('dev/db');
    expect((await cache.load()).map((b) => b.deployment)).toEqual(['dev/web']);
  });

  it('reads the files an agent of 0.1 wrote: the deployment as `id`, the namespace as deleteWithBundle', async () => {
    const dir = cacheDir();
    mkdirSync(dir, { recursive: true });
    const namespace = { name: 'shop', labels: {}, annotations: {}, deleteWithBundle: true, enforce: false };
    writeFileSync(
      // Named as it always was: by a hash of the deployment id, whose form did not change.
      join(dir, `${createHash('sha256').update('dev/web').digest('hex').slice(0, 20)}.json`),
      JSON.stringify({ id: 'dev/web', objects: [configMap], options: { ...defaultOptions(), namespace } }),
    );
    const [b] = await new BundleCache(dir).load();
    expect(b?.deployment).toBe('dev/web');
    expect(b).not.toHaveProperty('id');
    expect(b?.options.namespace).toStrictEqual({
      name: 'shop',
      labels: {},
      annotations: {},
      deleteWithDeployment: true,
      enforce: false,
    });
    // What the new agent writes for that deployment replaces the old file.
    await new BundleCache(dir).save({ ...b!, digest: 'c'.repeat(64) });
    expect((await new BundleCache(dir).load()).map((x) => [x.deployment, x.digest])).toEqual([
      ['dev/web', 'c'.repeat(64)],
    ]);
  });
});
