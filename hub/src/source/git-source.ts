import * as fs from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { classifyGitError, SourceNotFoundError, SourcePathError, SourcePushRejectedError } from './errors.js';

export interface RepoAuth {
  username?: string;
  password?: string;
  /** A token sent as the basic-auth password (GitHub, GitLab, Gitea all accept this). */
  token?: string;
}

export interface GitSourceOptions {
  /** The repo's name in Flotilla, used in every message. */
  name: string;
  url: string;
  /** Where the bare mirror and exported trees live (under the hub's data directory). */
  cacheDir: string;
  auth?: RepoAuth;
  /** Abandon a fetch after this long (default 120 s). */
  timeoutMs?: number;
}

export interface BranchChange {
  branch: string;
  from?: string;
  to: string;
  /** The new head does not descend from the old one (a force-push). */
  forced: boolean;
}

export interface SyncResult {
  heads: Map<string, string>;
  changed: BranchChange[];
  /** Branches that disappeared from the remote, with their last known commit. */
  deleted: { branch: string; last: string }[];
}

/** A cached, fetch-only mirror of one remote repository, read through isomorphic-git. */
export class GitSource {
  readonly gitdir: string;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: GitSourceOptions) {
    this.gitdir = join(opts.cacheDir, 'mirror.git');
  }

  /** Runs one operation at a time on this mirror. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private onAuth = () => {
    const a = this.opts.auth;
    if (!a) return {};
    if (a.token) return { username: a.username ?? 'x-access-token', password: a.token };
    return { username: a.username, password: a.password };
  };

  /** The remote-tracking heads we hold now. */
  async heads(): Promise<Map<string, string>> {
    const heads = new Map<string, string>();
    if (!fs.existsSync(this.gitdir)) return heads;
    for (const branch of await git.listBranches({ fs, gitdir: this.gitdir, remote: 'origin' })) {
      if (branch === 'HEAD') continue;
      heads.set(branch, await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${branch}` }));
    }
    return heads;
  }

  /**
   * Lists the remote's branches (one cheap request), fetches only when one moved, and reports what
   * moved, what was force-pushed and what was deleted. An unchanged poll transfers no objects.
   */
  sync(): Promise<SyncResult> {
    return this.serial(async () => {
      await this.ensureMirror();
      const before = await this.heads();
      // A fetch killed half-way (kill -9) can leave a ref pointing at objects it never wrote:
      // isomorphic-git updates refs before it stores the pack. Such a ref is dropped and fetched again.
      for (const [branch, oid] of before) {
        if (await this.hasCommit(oid)) continue;
        await git.deleteRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${branch}` }).catch(() => {});
        before.delete(branch);
      }
      const remote = await this.remoteHeads();
      const moved = [...remote].filter(([b, oid]) => before.get(b) !== oid).map(([b]) => b);
      const gone = [...before.keys()].filter((b) => !remote.has(b));
      if (moved.length > 0) await this.fetchWithTimeout(moved[0] ?? '');
      for (const b of gone)
        await git.deleteRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${b}` }).catch(() => {});
      const heads = await this.heads();
      const changed: BranchChange[] = [];
      for (const branch of moved) {
        const to = heads.get(branch);
        if (to === undefined) continue;
        const from = before.get(branch);
        const forced = from !== undefined && !(await this.descends(to, from));
        changed.push({ branch, to, forced, ...(from ? { from } : {}) });
      }
      const deleted = gone.map((branch) => ({ branch, last: before.get(branch) ?? '' }));
      return { heads, changed, deleted };
    });
  }

  private async remoteHeads(): Promise<Map<string, string>> {
    try {
      const refs = await this.withTimeout(
        git.listServerRefs({
          http,
          url: this.opts.url,
          prefix: 'refs/heads/',
          onAuth: this.onAuth,
          onAuthFailure: () => ({ cancel: true }),
        }),
      );
      return new Map(refs.map((r) => [r.ref.slice('refs/heads/'.length), r.oid]));
    } catch (err) {
      throw classifyGitError(err, this.opts.name, this.opts.url);
    }
  }

  private async ensureMirror(): Promise<void> {
    if (fs.existsSync(join(this.gitdir, 'config'))) return;
    await mkdir(this.gitdir, { recursive: true });
    await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: 'main' });
    await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.opts.url, force: true });
  }

  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    const timeoutMs = this.opts.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fetches all branches; `branch` is one that exists remotely (the remote's HEAD may dangle). */
  private async fetchWithTimeout(branch: string): Promise<void> {
    try {
      await this.withTimeout(
        git.fetch({
          fs,
          http,
          gitdir: this.gitdir,
          remote: 'origin',
          url: this.opts.url,
          remoteRef: `refs/heads/${branch}`,
          singleBranch: false,
          tags: false,
          prune: true,
          onAuth: this.onAuth,
          onAuthFailure: () => ({ cancel: true }),
        }),
      );
    } catch (err) {
      throw classifyGitError(err, this.opts.name, this.opts.url);
    }
  }

  private async hasCommit(oid: string): Promise<boolean> {
    try {
      await git.readCommit({ fs, gitdir: this.gitdir, oid });
      return true;
    } catch {
      return false;
    }
  }

  private async descends(oid: string, ancestor: string): Promise<boolean> {
    try {
      return await git.isDescendent({ fs, gitdir: this.gitdir, oid, ancestor, depth: -1 });
    } catch {
      return false;
    }
  }

  /** Runs `fn` with the mirror to itself: no fetch or export runs meanwhile. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(fn);
  }

  /**
   * Pushes `commit` (present in the mirror) to the remote's `branch`, never forced: the remote
   * refuses it unless it descends from the remote head, so a branch that moved meanwhile is not
   * overwritten (SourcePushRejectedError). Call inside `exclusive`.
   */
  async pushCommit(commit: string, branch: string): Promise<void> {
    const ref = 'refs/flotilla/push';
    await git.writeRef({ fs, gitdir: this.gitdir, ref, value: commit, force: true });
    let result: Awaited<ReturnType<typeof git.push>>;
    try {
      result = await this.withTimeout(
        git.push({
          fs,
          http,
          gitdir: this.gitdir,
          remote: 'origin',
          url: this.opts.url,
          ref,
          remoteRef: `refs/heads/${branch}`,
          onAuth: this.onAuth,
          onAuthFailure: () => ({ cancel: true }),
        }),
      );
    } catch (err) {
      const e = err as { code?: string; data?: { reason?: string } };
      if (e.code === 'PushRejectedError') {
        throw new SourcePushRejectedError(
          `repo ${this.opts.name}: the remote refused the push to branch ${branch} ` +
            `(${e.data?.reason ?? 'not a fast-forward'}): it moved meanwhile; run the command again`,
          { cause: err },
        );
      }
      throw classifyGitError(err, this.opts.name, this.opts.url);
    } finally {
      await git.deleteRef({ fs, gitdir: this.gitdir, ref }).catch(() => {});
    }
    const refused = Object.entries(result.refs ?? {}).find(([, r]) => !r.ok);
    if (!result.ok || refused) {
      throw new SourcePushRejectedError(
        `repo ${this.opts.name}: the remote refused the push to branch ${branch}: ` +
          `${refused?.[1].error ?? result.error ?? 'unknown reason'}; check that the hub may push to it`,
      );
    }
  }

  /**
   * Writes the tree at `path` of `commit` into `dest` (once: a finished export is reused). Symlinks
   * are written as symlinks so that the manifest loader can refuse the ones that leave the tree.
   */
  async exportTree(commit: string, path: string, dest: string): Promise<string> {
    const clean = safeRepoPath(path, this.opts.name);
    return this.serial(async () => {
      if (fs.existsSync(dest)) return dest;
      const tmp = `${dest}.partial-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      let tree: Awaited<ReturnType<typeof git.readTree>>;
      try {
        tree = await git.readTree({ fs, gitdir: this.gitdir, oid: commit, ...(clean ? { filepath: clean } : {}) });
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        if ((err as { code?: string }).code === 'UnsafeFilepathError') {
          throw new SourcePathError(
            `repo ${this.opts.name}: commit ${commit.slice(0, 12)} holds an unsafe path (${(err as Error).message}); refusing to check it out`,
            { cause: err },
          );
        }
        throw new SourceNotFoundError(
          `repo ${this.opts.name}: path "${path}" does not exist at commit ${commit.slice(0, 12)}`,
          {
            cause: err,
          },
        );
      }
      await this.writeTree(tree.tree, tmp);
      await mkdir(join(dest, '..'), { recursive: true });
      await rename(tmp, dest);
      return dest;
    });
  }

  private async writeTree(
    entries: Awaited<ReturnType<typeof git.readTree>>['tree'],
    dir: string,
    at = '',
  ): Promise<void> {
    const seen = new Set<string>();
    for (const e of entries) {
      // A crafted tree (git mktree accepts it) could name an entry `..`, or hold a symlink and a
      // directory of the same name so that files land wherever the symlink points: refused.
      const shown = at === '' ? e.path : `${at}/${e.path}`;
      if (!isPlainEntryName(e.path) || seen.has(e.path)) {
        throw new SourcePathError(
          `repo ${this.opts.name}: the tree holds an invalid or duplicate entry ${JSON.stringify(shown)}; refusing to check it out`,
        );
      }
      seen.add(e.path);
      const target = join(dir, e.path);
      if (e.type === 'tree') {
        await mkdir(target);
        const sub = await git.readTree({ fs, gitdir: this.gitdir, oid: e.oid });
        await this.writeTree(sub.tree, target, shown);
      } else if (e.type === 'blob') {
        const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: e.oid });
        if (e.mode === '120000') await symlink(Buffer.from(blob).toString('utf8'), target);
        else await writeFile(target, blob, { flag: 'wx' });
      }
      // 'commit' entries are submodules: not followed.
    }
  }
}

/** One path segment that stays where it is written: not empty, `.`, `..`, nor holding a separator or NUL. */
function isPlainEntryName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** Normalizes a path inside a repository; refuses absolute paths and `..`. Returns '' for the root. */
export function safeRepoPath(path: string, repo: string): string {
  const slashed = path.replace(/\\/g, '/');
  const norm = posix.normalize(slashed);
  if (slashed.startsWith('/') || norm === '..' || norm.startsWith('../')) {
    throw new SourcePathError(`repo ${repo}: path "${path}" leaves the repository; use a path relative to its root`);
  }
  return norm === '.' || norm === './' ? '' : norm.replace(/\/$/, '');
}
