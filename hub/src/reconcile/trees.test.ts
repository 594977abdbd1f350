import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitManyFiles, startGitServer, type GitServer } from '@flotilla/test';
import { GitSource } from '../source/git-source.js';
import { treeKey } from './tree-refs.js';
import { ExportedTrees, TreeCancelledError } from './trees.js';

describe('ExportedTrees over a real mirror', () => {
  let server: GitServer;
  let cache: string;
  let source: GitSource;
  let c1: string;
  let c2: string;
  let big: string;

  beforeAll(async () => {
    server = await startGitServer();
    const bare = await server.createRepo('config');
    c1 = await commitManyFiles(bare, 'main', { files: 3, extra: { 'apps/web/cm.yaml': 'kind: ConfigMap\n' } });
    c2 = await commitManyFiles(bare, 'main', { files: 0, extra: { 'apps/web/cm.yaml': 'kind: Secret\n' } });
    big = await commitManyFiles(bare, 'main', { files: 5000, message: 'big' });
    cache = mkdtempSync(join(tmpdir(), 'flotilla-trees-'));
    source = new GitSource({ name: 'config', url: server.url('config'), cacheDir: join(cache, 'mirror') });
    await source.sync();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (cache) rmSync(cache, { recursive: true, force: true });
  });

  /** A store of trees in its own directory; `wanted` is what the test says is still needed. */
  const trees = (wanted: Set<string>, o: { alive?: (pid: number) => boolean; pid?: number } = {}) => {
    const dir = mkdtempSync(join(cache, 'trees-'));
    return { dir, trees: new ExportedTrees({ dir, source: () => source, wanted: () => wanted, ...o }) };
  };
  const listed = (dir: string) => (existsSync(join(dir, 'config')) ? readdirSync(join(dir, 'config')).sort() : []);

  it('exports a commit once for concurrent renders and keeps it while wanted', async () => {
    const { dir, trees: t } = trees(new Set([treeKey('config', c1)]));
    const [a, b] = await Promise.all([t.acquire('config', c1), t.acquire('config', c1)]);
    expect(a.root).toBe(join(dir, 'config', c1));
    expect(b.root).toBe(a.root);
    expect(readFileSync(join(a.root, 'apps/web/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    a.release();
    b.release();
    expect(await t.collect()).toEqual({ deleted: [], cancelled: [] });
    expect(listed(dir)).toEqual([c1]);
  });

  it('refuses a commit nothing needs, without exporting it', async () => {
    const { dir, trees: t } = trees(new Set());
    await expect(t.acquire('config', c1)).rejects.toBeInstanceOf(TreeCancelledError);
    expect(listed(dir)).toEqual([]);
  });

  it('deletes a superseded tree once no render holds it', async () => {
    const wanted = new Set([treeKey('config', c1)]);
    const { dir, trees: t } = trees(wanted);
    const held = await t.acquire('config', c1);
    wanted.clear();
    wanted.add(treeKey('config', c2));
    (await t.acquire('config', c2)).release();
    expect(await t.collect()).toEqual({ deleted: [], cancelled: [] });
    expect(readFileSync(join(held.root, 'apps/web/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    held.release();
    expect(await t.collect()).toEqual({ deleted: [`config@${c1}`], cancelled: [] });
    expect(listed(dir)).toEqual([c2]);
    // Needed again (a rollback to it): exported again.
    wanted.add(treeKey('config', c1));
    const again = await t.acquire('config', c1);
    expect(readFileSync(join(again.root, 'apps/web/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    again.release();
  });

  it('stops an export that nothing needs any more, leaving nothing behind', async () => {
    const wanted = new Set([treeKey('config', big)]);
    const { dir, trees: t } = trees(wanted);
    const pending = t.acquire('config', big);
    const outcome = pending.then(
      () => 'exported',
      (err: unknown) => err,
    );
    await expect.poll(() => listed(dir).some((n) => n.startsWith(`${big}.partial-`))).toBe(true);
    wanted.clear();
    const r = await t.collect();
    expect(r.cancelled).toEqual([`config@${big}`]);
    expect(await outcome).toBeInstanceOf(TreeCancelledError);
    expect(listed(dir)).toEqual([]);
  });

  it('removes at start what killed hubs left: partial exports of dead processes and half-deleted trees', async () => {
    const alive = 4242;
    const { dir, trees: t } = trees(new Set(), { pid: 7, alive: (pid) => pid === alive });
    const put = (name: string) => {
      mkdirSync(join(dir, 'config', name, 'apps'), { recursive: true });
      writeFileSync(join(dir, 'config', name, 'apps', 'a.yaml'), 'x');
    };
    for (const name of [`${c1}.partial-999999`, `${c1}.partial-7`, `${c2}.partial-${alive}`, `${c2}.deleting-7-1`, c2])
      put(name);
    await t.start();
    expect(listed(dir)).toEqual([c2, `${c2}.partial-${alive}`]);
  });
});
