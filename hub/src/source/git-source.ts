import * as fs from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { classifyGitError, SourcePathError, SourcePushRejectedError } from './errors.js';
import { exportWithGit } from './git-export.js';

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
  sync(opts: { signal?: AbortSignal } = {}): Promise<SyncResult> {
    const { signal } = opts;
    return this.serial(async () => {
      signal?.throwIfAborted();
      await this.ensureMirror();
      const before = await this.heads();
      // A fetch killed half-way (kill -9) can leave a ref pointing at objects it never wrote:
      // isomorphic-git updates refs before it stores the pack. Such a ref is dropped and fetched again.
      for (const [branch, oid] of before) {
        if (await this.hasCommit(oid)) continue;
        await git.deleteRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${branch}` }).catch(() => {});
        before.delete(branch);
      }
      const remote = await this.remoteHeads(signal);
      const moved = [...remote].filter(([b, oid]) => before.get(b) !== oid).map(([b]) => b);
      const gone = [...before.keys()].filter((b) => !remote.has(b));
      if (moved.length > 0) await this.fetchWithTimeout(moved[0] ?? '', signal);
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

  /**
   * The remote's branches and their heads (one request, nothing fetched, the mirror untouched): whether
   * the remote answers with these credentials. `signal` bounds it (a repo being added).
   */
  listRemote(opts: { signal?: AbortSignal } = {}): Promise<Map<string, string>> {
    return this.remoteHeads(opts.signal);
  }

  private async remoteHeads(signal?: AbortSignal): Promise<Map<string, string>> {
    try {
      const refs = await this.withTimeout(
        git.listServerRefs({
          http: abortableHttp(signal),
          url: this.opts.url,
          prefix: 'refs/heads/',
          onAuth: this.onAuth,
          onAuthFailure: () => ({ cancel: true }),
        }),
        signal,
      );
      return new Map(refs.map((r) => [r.ref.slice('refs/heads/'.length), r.oid]));
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw classifyGitError(err, this.opts.name, this.opts.url);
    }
  }

  private async ensureMirror(): Promise<void> {
    if (fs.existsSync(join(this.gitdir, 'config'))) return;
    await mkdir(this.gitdir, { recursive: true });
    await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: 'main' });
    await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.opts.url, force: true });
  }

  /** Settles with `work`, or fails after the timeout or once `signal` aborts (work no longer needed). */
  private async withTimeout<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
    const timeoutMs = this.opts.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      onAbort = () => reject(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Fetches all branches; `branch` is one that exists remotely (the remote's HEAD may dangle). */
  private async fetchWithTimeout(branch: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.withTimeout(
        git.fetch({
          fs,
          http: abortableHttp(signal),
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
        signal,
      );
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
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
   * Writes the tree at `path` of `commit` into `dest` (once: a finished export is reused). It is
   * written into `dest.partial-<pid>` and renamed, so `dest` exists only complete; a hub killed
   * half-way leaves the partial directory, which the tree store removes at start. Symlinks are written
   * as symlinks so that the manifest loader can refuse the ones that leave the tree. Not serialized
   * with fetches: a fetch only adds objects and moves refs, and `commit` is already in the mirror.
   * `signal` stops the export between files and removes what it wrote.
   */
  async exportTree(
    commit: string,
    path: string,
    dest: string,
    opts: { signal?: AbortSignal; git?: string } = {},
  ): Promise<string> {
    const clean = safeRepoPath(path, this.opts.name);
    if (fs.existsSync(dest)) return dest;
    const tmp = `${dest}.partial-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      await exportWithGit({
        git: opts.git ?? 'git',
        gitdir: this.gitdir,
        repo: this.opts.name,
        commit,
        path: clean,
        dest: tmp,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      opts.signal?.throwIfAborted();
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return dest;
  }
}

/**
 * isomorphic-git's HTTP client, stopped by `signal` between response chunks: isomorphic-git itself
 * takes no AbortSignal, and a fetch of a repo that was removed meanwhile should not download on.
 */
function abortableHttp(signal: AbortSignal | undefined): HttpClient {
  if (!signal) return http;
  return {
    async request(req) {
      signal.throwIfAborted();
      const res = await http.request(req);
      const body = res.body;
      if (!body) return res;
      return {
        ...res,
        body: (async function* () {
          for await (const chunk of body) {
            signal.throwIfAborted();
            yield chunk;
          }
        })(),
      };
    },
  };
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
