import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Engine, SecretBox, store as hubStore, tools as hubTools } from '@flotilla/hub';
import { locateBinaries } from '../../harness/kube/binaries.js';
import type { GitServer } from '../../harness/git-server.js';

const run = promisify(execFile);

/**
 * Commits whatever `edit` does to a working copy of a branch (symlinks, odd names: what
 * GitServer.commitFiles cannot write), with the git CLI; returns the commit.
 */
export async function commitWork(
  git: GitServer,
  repo: string,
  branch: string,
  edit: (work: string) => void | Promise<void>,
): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'flotilla-hostile-work-'));
  const g = (...args: string[]) =>
    run('git', ['-C', work, '-c', 'user.name=Hostile', '-c', 'user.email=hostile@flotilla.invalid', ...args], {
      maxBuffer: 1 << 20,
    });
  try {
    await run('git', ['clone', '--quiet', join(git.root, `${repo}.git`), work]);
    const { stdout } = await g('ls-remote', '--heads', 'origin', branch);
    await g('checkout', '--quiet', ...(stdout.trim() ? [branch] : ['--orphan', branch]));
    await edit(work);
    await g('add', '--all');
    await g('commit', '--quiet', '--allow-empty', '-m', 'hostile commit');
    await g('push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
    return (await g('rev-parse', 'HEAD')).stdout.trim();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs git in a bare repository with `input` on stdin; its trimmed stdout. */
function gitWithInput(git: GitServer, repo: string, input: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['-C', join(git.root, `${repo}.git`), ...args], (err, out) =>
      err ? reject(err) : resolve(out.trim()),
    );
    child.stdin?.end(input);
  });
}

/** A blob in the bare repository, for `mktree` lines. */
export function writeBlob(git: GitServer, repo: string, content: string): Promise<string> {
  return gitWithInput(git, repo, content, ['hash-object', '-w', '--stdin']);
}

/**
 * A tree from `git mktree` lines (`<mode> <type> <oid>\t<name>`), written straight into the bare
 * repository: what a hostile remote can serve, since git accepts trees that `git add` never makes.
 */
export function writeTree(git: GitServer, repo: string, lines: string): Promise<string> {
  return gitWithInput(git, repo, lines, ['mktree']);
}

/** Moves `branch` to a new commit of `tree` on top of it; returns the commit. */
export async function commitTree(git: GitServer, repo: string, branch: string, tree: string): Promise<string> {
  const bare = join(git.root, `${repo}.git`);
  const parent = (await run('git', ['-C', bare, 'rev-parse', `refs/heads/${branch}`])).stdout.trim();
  const author = ['-c', 'user.name=Hostile', '-c', 'user.email=hostile@flotilla.invalid'];
  const commit = (
    await run('git', ['-C', bare, ...author, 'commit-tree', tree, '-p', parent, '-m', 'crafted'])
  ).stdout.trim();
  await run('git', ['-C', bare, 'update-ref', `refs/heads/${branch}`, commit]);
  return commit;
}

/** The real hub engine (Git over HTTP, render, SQLite) in this process, on a fresh data directory. */
export function hubEngine(dir: string): { store: hubStore.Store; engine: Engine } {
  const store = hubStore.openStore(join(dir, 'hub.db'));
  const bins = locateBinaries();
  const engine = new Engine({
    store,
    dataDir: dir,
    secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')),
    tools: { helm: bins.helm, kustomize: bins.kustomize, sandbox: hubTools.bwrapSandbox() },
  });
  return { store, engine };
}
