import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, store as hubStore } from '@flotilla/hub';
import { commitManyFiles } from '../../harness/big-repo.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { waitFor } from '../../harness/wait.js';
import { hubEngine } from '../reliability/repo-support.js';

/**
 * Issue #18, finding 8: exported trees were never deleted. A repo holding a 100 MB blob took its
 * tree directory from 101 to 401 MiB with three 2-byte commits. Reproduced through the hub's real
 * engine and a real Git server: after each commit the directory holds one tree (the deployed one).
 */
const MiB = 1024 * 1024;
const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: "1"\n`;

/** Bytes of the files below `dir` (what `du` counts, without the directories themselves). */
function bytesBelow(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

describe('exported trees are collected (issue #18, finding 8)', () => {
  let git: GitServer;
  let bare: string;
  let dir: string;
  let store: hubStore.Store;
  let engine: Engine;
  const repoTrees = () => join(dir, 'trees', 'blob');
  const trees = () => (existsSync(repoTrees()) ? readdirSync(repoTrees()).sort() : []);
  const revision = () => store.deployments.get({ cluster: 'c1', target: 'web', environment: 'dev' })?.revision;

  beforeAll(async () => {
    git = await startGitServer();
    bare = await git.createRepo('blob');
    dir = mkdtempSync(join(tmpdir(), 'flotilla-tree-gc-'));
    ({ store, engine } = hubEngine(dir));
    store.repos.put({ name: 'blob', url: git.url('blob'), pollIntervalSeconds: 3600 });
    store.environments.put({ name: 'dev', repo: 'blob', branch: 'main', selector: 'env=dev' });
    store.clusters.create({ name: 'c1', labels: { env: 'dev' } });
    store.targets.put({ name: 'web', repo: 'blob', path: 'apps/web', environments: ['dev'] });
    engine.start();
  });

  afterAll(async () => {
    await engine?.stop();
    store?.close();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a 100 MB blob and three 2-byte commits: one tree on disk, the deployed one', async () => {
    const sizes: number[] = [];
    let head = '';
    const deploy = async (commit: string) => {
      head = commit;
      await engine.fetch('blob');
      await engine.reconcileNow();
      expect(revision()).toBe(commit);
      await waitFor(() => trees().join() === commit, { timeoutMs: 30_000, what: `only ${commit.slice(0, 8)} on disk` });
      sizes.push(bytesBelow(repoTrees()));
    };
    const big = Buffer.alloc(100 * MiB, 'x');
    await deploy(
      await commitManyFiles(bare, 'main', {
        files: 0,
        extra: { 'data/big.bin': big, 'apps/web/cm.yaml': cm, 'apps/web/n': '0\n' },
      }),
    );
    for (const n of ['1', '2', '3']) {
      await deploy(await commitManyFiles(bare, 'main', { files: 0, extra: { 'apps/web/n': `${n}\n` } }));
    }
    console.log(
      `tree directory after each of 4 commits: ${sizes.map((s) => `${(s / MiB).toFixed(1)} MiB`).join(', ')}`,
    );
    for (const s of sizes) expect(s).toBeLessThan(101 * MiB);
    // A scheduled collection keeps the deployed tree.
    expect(await engine.trees.collect()).toEqual({ deleted: [], cancelled: [] });
    expect(trees()).toEqual([head]);
  }, 300_000);
});
