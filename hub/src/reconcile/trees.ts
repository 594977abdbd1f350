import { readdir, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FlotillaError } from '@flotilla/proto';
import type { GitSource } from '../source/git-source.js';
import { parseTreeDirName, treeKey } from './tree-refs.js';

/** An export stopped because no environment needs its commit any more (removed, or a newer commit). */
export class TreeCancelledError extends FlotillaError {
  readonly code = 'TREE_CANCELLED';
}

export interface TreeLease {
  /** The tree on disk: stays there until `release()`. */
  root: string;
  release(): void;
}

export interface ExportedTreesOptions {
  /** `<data-dir>/trees`: one directory per repo, one per commit below it. */
  dir: string;
  source: (repo: string) => GitSource;
  /** The trees still needed (tree-refs.ts `wantedTrees`), read from the store when asked. */
  wanted: () => Set<string>;
  /** The git command that writes trees (default `git`). */
  git?: string;
  pid?: number;
  alive?: (pid: number) => boolean;
}

interface Entry {
  repo: string;
  commit: string;
  dir: string;
  ready: Promise<string>;
  exporting: boolean;
  abort: AbortController;
  users: number;
}

export interface CollectResult {
  deleted: string[];
  cancelled: string[];
}

/**
 * The exported trees of every repo: one directory per (repo, commit), exported once and shared by
 * every render of that commit, held by a lease while a render reads it. `collect()` keeps only the
 * trees an environment still needs: it stops exports nobody needs any more and deletes unneeded
 * trees that no render holds. `start()` removes what a killed hub left (partial exports of dead
 * processes, half-deleted trees).
 */
export class ExportedTrees {
  private readonly entries = new Map<string, Entry>();
  private readonly removing = new Map<string, Promise<void>>();
  private wantedNow: Set<string> | undefined;
  private swept: Promise<void> | undefined;
  private stopped = false;
  private deletions = 0;
  private readonly pid: number;
  private readonly alive: (pid: number) => boolean;

  constructor(private readonly o: ExportedTreesOptions) {
    this.pid = o.pid ?? process.pid;
    this.alive = o.alive ?? pidAlive;
  }

  /** Removes leftovers of earlier runs; exports wait for it. Safe to call more than once. */
  start(): Promise<void> {
    this.swept ??= this.sweepLeftovers();
    return this.swept;
  }

  /** The tree of `commit`, exported unless it is on disk; TreeCancelledError when nothing needs it. */
  async acquire(repo: string, commit: string): Promise<TreeLease> {
    await this.start();
    const k = treeKey(repo, commit);
    if (this.stopped || !this.isWanted(k)) throw cancelled(repo, commit);
    let e = this.entries.get(k);
    if (!e || e.abort.signal.aborted) e = this.begin(repo, commit, k, e);
    e.users++;
    const entry = e;
    try {
      await entry.ready;
    } catch (err) {
      entry.users--;
      throw err;
    }
    let released = false;
    return {
      root: entry.dir,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
      },
    };
  }

  /** Starts an export once a deletion of the same tree, or a cancelled export of it, has settled. */
  private begin(repo: string, commit: string, k: string, previous: Entry | undefined): Entry {
    const dir = join(this.o.dir, encodeURIComponent(repo), commit);
    const abort = new AbortController();
    const removing = Promise.all([this.removing.get(k), previous?.ready.catch(() => {})]);
    const entry: Entry = { repo, commit, dir, abort, users: 0, exporting: true, ready: Promise.resolve(dir) };
    entry.ready = removing
      .then(() =>
        this.o
          .source(repo)
          .exportTree(commit, '', dir, { signal: abort.signal, ...(this.o.git ? { git: this.o.git } : {}) }),
      )
      .catch((err: unknown) => {
        if (this.entries.get(k) === entry) this.entries.delete(k);
        throw abort.signal.aborted ? (abort.signal.reason as Error) : err;
      })
      .finally(() => {
        entry.exporting = false;
      });
    // Every waiter gets the outcome through `acquire`; this copy only keeps Node quiet.
    entry.ready.catch(() => {});
    this.entries.set(k, entry);
    return entry;
  }

  private isWanted(k: string): boolean {
    if (this.wantedNow?.has(k)) return true;
    // The store may have changed since the last collect (a target added): ask it again.
    this.wantedNow = this.o.wanted();
    return this.wantedNow.has(k);
  }

  /**
   * Stops exports nothing needs and deletes the trees on disk that nothing needs and no render
   * holds (a held one goes on a later collect).
   */
  async collect(): Promise<CollectResult> {
    await this.start();
    const wanted = (this.wantedNow = this.o.wanted());
    const stopping: Entry[] = [];
    for (const [k, e] of this.entries) {
      if (wanted.has(k) || !e.exporting) continue;
      e.abort.abort(cancelled(e.repo, e.commit));
      stopping.push(e);
    }
    // A stopped export removes its partial directory before it settles: the repo's directory can go.
    await Promise.allSettled(stopping.map((e) => e.ready));
    const deleted: string[] = [];
    for (const repoDir of await readdirOrEmpty(this.o.dir)) {
      const repo = decodeURIComponent(repoDir);
      const path = join(this.o.dir, repoDir);
      for (const name of await readdirOrEmpty(path)) {
        const parsed = parseTreeDirName(name);
        if (parsed.kind !== 'tree') continue;
        const k = treeKey(repo, parsed.commit);
        const e = this.entries.get(k);
        if (wanted.has(k) || (e && (e.users > 0 || e.exporting)) || this.removing.has(k)) continue;
        this.entries.delete(k);
        deleted.push(`${repo}@${parsed.commit}`);
        await this.remove(k, join(path, name));
      }
      await rmdir(path).catch(() => {}); // only when empty
    }
    return { deleted, cancelled: stopping.map((e) => `${e.repo}@${e.commit}`) };
  }

  /** Renamed first, so that the tree is gone at once for anyone who checks, then deleted. */
  private remove(k: string, dir: string): Promise<void> {
    const doomed = `${dir}.deleting-${this.pid}-${++this.deletions}`;
    const p = rename(dir, doomed)
      .then(() => rm(doomed, { recursive: true, force: true }))
      .finally(() => this.removing.delete(k));
    this.removing.set(k, p);
    return p;
  }

  /** Stops every export (hub shutdown); renders that hold a tree keep it. */
  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.exporting) e.abort.abort(cancelled(e.repo, e.commit, 'the hub stops'));
  }

  private async sweepLeftovers(): Promise<void> {
    for (const repoDir of await readdirOrEmpty(this.o.dir)) {
      const path = join(this.o.dir, repoDir);
      for (const name of await readdirOrEmpty(path)) {
        const parsed = parseTreeDirName(name);
        const leftover =
          parsed.kind === 'deleting' ||
          (parsed.kind === 'partial' && (parsed.pid === this.pid || !this.alive(parsed.pid)));
        if (leftover) await rm(join(path, name), { recursive: true, force: true });
      }
    }
  }
}

function cancelled(repo: string, commit: string, why = 'no environment needs it any more'): TreeCancelledError {
  return new TreeCancelledError(`repo ${repo}: the export of commit ${commit.slice(0, 12)} stopped: ${why}`);
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Whether a process with this id runs (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
