import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, store as hubStore } from '@flotilla/hub';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { commitWork, hubEngine } from '../reliability/repo-support.js';

/**
 * A hostile committer's view of the hub: the real engine (Git over HTTP, checkout, helm and kustomize
 * in the render sandbox, SQLite) with a data directory holding what an attacker wants (an admin token,
 * the hub key), one cluster, and a target per hostile path.
 */
export interface RenderWorld {
  dir: string;
  git: GitServer;
  store: hubStore.Store;
  engine: Engine;
  /** Commits files (string content, or { link: target } for a symlink) and reconciles. */
  commitAndRender(files: Record<string, string | { link: string }>): Promise<string>;
  /** The target's render error, or undefined when it rendered. */
  failure(target: string): string | undefined;
  /** Every bundle the hub stored for the target, as canonical text. */
  bundles(target: string): string[];
  stop(): Promise<void>;
}

export const ADMIN_TOKEN = 'flapi_attacker-wants-this-token';

export async function renderWorld(targets: Record<string, string>): Promise<RenderWorld> {
  const git = await startGitServer();
  await git.createRepo('config');
  await git.commitFiles('config', { 'README.md': 'config\n' });
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-security-'));
  writeFileSync(join(dir, 'admin.token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
  const { store, engine } = hubEngine(dir);
  store.repos.put({ name: 'config', url: git.url('config'), pollIntervalSeconds: 3600 });
  store.environments.put({ name: 'dev', repo: 'config', branch: 'main', selector: 'env=dev' });
  store.clusters.create({ name: 'c1', labels: { env: 'dev' } });
  for (const [name, path] of Object.entries(targets)) {
    store.targets.put({ name, repo: 'config', path, environments: ['dev'] });
  }
  engine.start();
  return {
    dir,
    git,
    store,
    engine,
    async commitAndRender(files) {
      const commit = await commitWork(git, 'config', 'main', (w) => {
        for (const [path, content] of Object.entries(files)) {
          mkdirSync(join(w, path, '..'), { recursive: true });
          if (typeof content === 'string') writeFileSync(join(w, path), content);
          else symlinkSync(content.link, join(w, path));
        }
      });
      await engine.fetch('config');
      await engine.reconcileNow();
      return commit;
    },
    failure: (target) => {
      const s = store.renderStatus.get(target, 'dev');
      return s?.state === 'Failed' ? s.message : undefined;
    },
    bundles: (target) =>
      store.deployments.list({ target }).map((d) => store.bundles.content(d.bundle)?.toString('utf8') ?? ''),
    async stop() {
      await engine.stop();
      store.close();
      await git.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
