import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { FlotillaError } from '@flotilla/proto';
import type { Promotion, PromotionKind, Rollback } from '@flotilla/proto/api';
import type { Sources } from '../reconcile/sources.js';
import type { RepoSyncResult } from '../reconcile/repo-sync.js';
import type { Environment, JsonObject, Store } from '../store/index.js';

/** An environment, commit or request that does not exist or does not fit. */
export class GitOpsInvalidError extends FlotillaError {
  readonly code = 'INVALID';
}
export class GitOpsNotFoundError extends FlotillaError {
  readonly code = 'NOT_FOUND';
}
/** Both branches changed the same files: a person has to merge. */
export class PromotionConflictError extends FlotillaError {
  readonly code = 'PROMOTION_CONFLICT';
  constructor(
    message: string,
    readonly files: string[],
  ) {
    super(message);
  }
}
/** `--require-healthy` and the source environment is not Ready at the commit being promoted. */
export class NotHealthyError extends FlotillaError {
  readonly code = 'NOT_HEALTHY';
  constructor(
    message: string,
    readonly notReady: { cluster: string; target: string; state: string; revision?: string }[],
  ) {
    super(message);
  }
}
/** The hub could not read the branch from Git (the fetch failed). */
export class GitOpsSourceError extends FlotillaError {
  readonly code = 'GIT_UNAVAILABLE';
}

export interface GitOpsDeps {
  store: Store;
  sources: Sources;
  /** Fetches the repo and records (and reconciles) what moved: the engine's `fetch`. */
  fetch: (repo: string) => Promise<RepoSyncResult>;
  now?: () => Date;
}

const short = (oid: string) => oid.slice(0, 12);
const MAX_LISTED_COMMITS = 200;

function environment(store: Store, name: string, role: string): Environment {
  const env = store.environments.get(name);
  if (!env) {
    throw new GitOpsNotFoundError(`${role} environment "${name}" does not exist; see \`fleet environments list\``);
  }
  return env;
}

/** Fetches, then returns the branch head the hub now holds; refuses when the fetch failed. */
async function freshHead(deps: GitOpsDeps, env: Environment): Promise<string> {
  const r = await deps.fetch(env.repo);
  if (!r.ok) {
    throw new GitOpsSourceError(
      `cannot read branch ${env.branch} of repo ${env.repo} for environment ${env.name}: ${r.error ?? 'fetch failed'}`,
    );
  }
  const commit = deps.store.repos.getBranch(env.repo, env.branch)?.commit;
  if (!commit) {
    throw new GitOpsSourceError(
      `branch ${env.branch} of repo ${env.repo} (environment ${env.name}) does not exist on the remote; create it first`,
    );
  }
  return commit;
}

function signature(actor: string, when: Date) {
  return {
    name: actor,
    email: `${actor.replace(/[^A-Za-z0-9._-]/g, '_')}@flotilla.invalid`,
    timestamp: Math.floor(when.getTime() / 1000),
    timezoneOffset: 0,
  };
}

async function descends(gitdir: string, oid: string, ancestor: string): Promise<boolean> {
  if (oid === ancestor) return true;
  return git.isDescendent({ fs, gitdir, oid, ancestor, depth: -1 });
}

/** Commits reachable from `head` and not from `base`, oldest first (at most 200). */
async function commitsBetween(gitdir: string, base: string, head: string): Promise<string[]> {
  const log = await git.log({ fs, gitdir, ref: head, depth: MAX_LISTED_COMMITS + 1 });
  const out: string[] = [];
  for (const c of log) {
    if (c.oid === base || (await descends(gitdir, base, c.oid))) continue;
    out.push(c.oid);
    if (out.length === MAX_LISTED_COMMITS) break;
  }
  return out.reverse();
}

/**
 * Promotes `from` into `to`: merges the `from` branch into the `to` branch (a fast-forward when
 * `to` has nothing of its own, a merge commit otherwise; a conflict is refused with the files),
 * pushes it, records a Promotion event with who asked, and fetches so the rollout starts at once.
 */
export async function promote(
  deps: GitOpsDeps,
  req: { from: string; to: string; requireHealthy?: boolean; actor: string },
): Promise<Promotion> {
  const { store } = deps;
  const from = environment(store, req.from, 'source');
  const to = environment(store, req.to, 'destination');
  if (from.name === to.name) throw new GitOpsInvalidError(`cannot promote environment ${from.name} into itself`);
  if (from.repo !== to.repo) {
    throw new GitOpsInvalidError(
      `environments ${from.name} (repo ${from.repo}) and ${to.name} (repo ${to.repo}) follow different repos; ` +
        'promotion merges branches of one repo',
    );
  }
  if (from.branch === to.branch) {
    throw new GitOpsInvalidError(`environments ${from.name} and ${to.name} follow the same branch ${from.branch}`);
  }
  await freshHead(deps, from);
  const fromCommit = store.repos.getBranch(from.repo, from.branch)?.commit ?? '';
  const previous = store.repos.getBranch(to.repo, to.branch)?.commit;
  if (!previous) await freshHead(deps, to);
  const previousCommit = store.repos.getBranch(to.repo, to.branch)?.commit ?? '';

  if (req.requireHealthy) {
    const deployments = store.deployments.list({ environment: from.name });
    const notReady = deployments
      .filter((d) => d.state !== 'Ready' || d.revision !== fromCommit)
      .map((d) => ({
        cluster: d.cluster,
        target: d.target,
        state: d.state,
        ...(d.revision ? { revision: d.revision } : {}),
      }));
    if (deployments.length === 0 || notReady.length > 0) {
      throw new NotHealthyError(
        deployments.length === 0
          ? `environment ${from.name} has no deployments: nothing shows commit ${short(fromCommit)} is healthy`
          : `environment ${from.name} is not Ready at commit ${short(fromCommit)}: ` +
              notReady
                .slice(0, 5)
                .map((n) => `${n.cluster}/${n.target} is ${n.state}${n.revision ? ` at ${short(n.revision)}` : ''}`)
                .join(', ') +
              (notReady.length > 5 ? ` and ${notReady.length - 5} more` : '') +
              '; wait until it is Ready (fleet status) or promote without --require-healthy',
        notReady,
      );
    }
  }

  const source = deps.sources.get(from.repo);
  const when = (deps.now ?? (() => new Date()))();
  const outcome = await source.exclusive(async (): Promise<{ kind: PromotionKind; commit: string }> => {
    const gitdir = source.gitdir;
    if (await descends(gitdir, previousCommit, fromCommit)) return { kind: 'up-to-date', commit: previousCommit };
    if (await descends(gitdir, fromCommit, previousCommit)) {
      await source.pushCommit(fromCommit, to.branch);
      return { kind: 'fast-forward', commit: fromCommit };
    }
    const ours = 'refs/flotilla/promote-ours';
    const theirs = 'refs/flotilla/promote-theirs';
    await git.writeRef({ fs, gitdir, ref: ours, value: previousCommit, force: true });
    await git.writeRef({ fs, gitdir, ref: theirs, value: fromCommit, force: true });
    try {
      const merged = await git.merge({
        fs,
        gitdir,
        ours,
        theirs,
        fastForward: false,
        noUpdateBranch: true,
        abortOnConflict: true,
        author: signature(req.actor, when),
        committer: signature('flotilla-hub', when),
        message:
          `Promote ${from.name} to ${to.name}\n\n` +
          `Merges ${from.branch}@${short(fromCommit)} into ${to.branch}@${short(previousCommit)}; ` +
          `promoted by ${req.actor} with Flotilla.\n`,
      });
      if (!merged.oid) throw new Error('merge produced no commit');
      await source.pushCommit(merged.oid, to.branch);
      return { kind: 'merge', commit: merged.oid };
    } catch (err) {
      const e = err as { code?: string; data?: { filepaths?: string[] } };
      if (e.code === 'MergeConflictError' || e.code === 'MergeNotSupportedError') {
        const files = e.data?.filepaths ?? [];
        throw new PromotionConflictError(
          `cannot promote ${from.name} to ${to.name}: branches ${from.branch} and ${to.branch} both changed ` +
            `${files.length > 0 ? files.join(', ') : 'the same files'}; merge ${from.branch} into ${to.branch} ` +
            'by hand, resolve the conflict and push',
          files,
        );
      }
      throw err;
    } finally {
      await git.deleteRef({ fs, gitdir, ref: ours }).catch(() => {});
      await git.deleteRef({ fs, gitdir, ref: theirs }).catch(() => {});
    }
  });

  const commits =
    outcome.kind === 'up-to-date' ? [] : await commitsBetween(source.gitdir, previousCommit, outcome.commit);
  const payload: JsonObject = {
    from: from.name,
    to: to.name,
    kind: outcome.kind,
    fromCommit,
    previousCommit,
    commit: outcome.commit,
    commits,
  };
  const event = store.events.append({
    kind: 'Promotion',
    repo: to.repo,
    environment: to.name,
    actor: req.actor,
    payload,
  });
  if (outcome.kind !== 'up-to-date') await deps.fetch(to.repo);
  return promotionFromEvent(event);
}

/**
 * Rolls an environment back: a new commit on its branch whose tree is that of `to` (default: the
 * head's first parent), so every change since is reverted, pushed and rolled out like any commit.
 * History is kept; a later rollback of the rollback is possible.
 */
export async function rollback(
  deps: GitOpsDeps,
  req: { environment: string; to?: string; actor: string },
): Promise<Rollback> {
  const { store } = deps;
  const env = environment(store, req.environment, 'the');
  const head = await freshHead(deps, env);
  const source = deps.sources.get(env.repo);
  const when = (deps.now ?? (() => new Date()))();
  const result = await source.exclusive(async () => {
    const gitdir = source.gitdir;
    let restored: string;
    if (req.to) {
      try {
        restored = await git.expandOid({ fs, gitdir, oid: req.to.toLowerCase() });
      } catch {
        throw new GitOpsNotFoundError(
          `commit "${req.to}" is not in the history of repo ${env.repo}; give a commit of branch ${env.branch}`,
        );
      }
      if (restored === head) {
        throw new GitOpsInvalidError(`commit ${short(restored)} is already the head of ${env.branch}: nothing to undo`);
      }
      if (!(await descends(gitdir, head, restored))) {
        throw new GitOpsInvalidError(
          `commit ${short(restored)} is not an ancestor of ${env.branch}@${short(head)}; ` +
            `roll back to a commit of the environment's own history (see \`git log ${env.branch}\`)`,
        );
      }
    } else {
      const parent = (await git.readCommit({ fs, gitdir, oid: head })).commit.parent[0];
      if (!parent) {
        throw new GitOpsInvalidError(
          `${env.branch}@${short(head)} is the first commit of the branch; there is nothing before it`,
        );
      }
      restored = parent;
    }
    const { tree } = (await git.readCommit({ fs, gitdir, oid: restored })).commit;
    const undone = await commitsBetween(gitdir, restored, head);
    const commit = await git.writeCommit({
      fs,
      gitdir,
      commit: {
        tree,
        parent: [head],
        author: signature(req.actor, when),
        committer: signature('flotilla-hub', when),
        message:
          `Roll back ${env.name} to ${short(restored)}\n\n` +
          `Restores the tree of ${restored}, reverting ${undone.length} commit(s):\n` +
          undone.map((c) => `  ${c}`).join('\n') +
          `\n\nRolled back by ${req.actor} with Flotilla.\n`,
      },
    });
    await source.pushCommit(commit, env.branch);
    return { restored, commit };
  });
  const event = store.events.append({
    kind: 'Rollback',
    repo: env.repo,
    environment: env.name,
    actor: req.actor,
    payload: { branch: env.branch, previousCommit: head, restoredCommit: result.restored, commit: result.commit },
  });
  await deps.fetch(env.repo);
  return rollbackFromEvent(event);
}

type EventLike = { id: number; at: string; actor?: string; environment?: string; payload: JsonObject };
const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function promotionFromEvent(e: EventLike): Promotion {
  const p = e.payload;
  return {
    id: e.id,
    from: str(p.from),
    to: str(p.to),
    kind: str(p.kind) as PromotionKind,
    fromCommit: str(p.fromCommit),
    previousCommit: str(p.previousCommit),
    commit: str(p.commit),
    commits: Array.isArray(p.commits) ? p.commits.map(str) : [],
    actor: e.actor ?? '',
    at: e.at,
  };
}

export function rollbackFromEvent(e: EventLike): Rollback {
  const p = e.payload;
  return {
    id: e.id,
    environment: e.environment ?? '',
    branch: str(p.branch),
    previousCommit: str(p.previousCommit),
    restoredCommit: str(p.restoredCommit),
    commit: str(p.commit),
    actor: e.actor ?? '',
    at: e.at,
  };
}
