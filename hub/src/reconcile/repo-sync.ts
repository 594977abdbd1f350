import { StoreNotFoundError, type Store } from '../store/index.js';
import { displayRepoUrl } from '../source/repo-credentials.js';
import type { BranchChange } from '../source/git-source.js';
import type { Sources } from './sources.js';

export interface RepoSyncResult {
  repo: string;
  ok: boolean;
  changed: BranchChange[];
  error?: string;
}

/**
 * Fetches one repo and records, per branch an environment follows, the new head or the error.
 * Nothing here removes what is deployed: a dead remote, bad credentials or a deleted branch leave
 * the last fetched commit in place and say so on the repo.
 */
export async function syncRepo(
  store: Store,
  sources: Sources,
  repo: string,
  scrub: (text: string) => string = (t) => t,
  signal?: AbortSignal,
): Promise<RepoSyncResult> {
  const followed = new Set(
    store.environments
      .list()
      .filter((e) => e.repo === repo)
      .map((e) => e.branch),
  );
  let result;
  try {
    result = await sources.get(repo).sync(signal ? { signal } : {});
  } catch (err) {
    // Stopped because the repo was removed (or the hub stops): nothing to record on it.
    if (signal?.aborted) return { repo, ok: false, changed: [], error: 'stopped: no longer needed' };
    const message = scrub(err instanceof Error ? err.message : String(err));
    recordRemote(store, repo, message);
    recordErrors(store, repo, followed, () => message);
    return { repo, ok: false, changed: [], error: message };
  }
  recordRemote(store, repo);
  // Compared with what the store recorded, not only with the mirror: a branch that an environment
  // starts following later is recorded on the next fetch even if it did not move.
  const changed: BranchChange[] = [];
  for (const branch of followed) {
    const head = result.heads.get(branch);
    const record = store.repos.getBranch(repo, branch);
    const recorded = record?.commit;
    if (head === undefined) continue;
    if (head === recorded) {
      if (record?.error !== undefined) store.repos.recordFetched(repo, branch, head); // recovered: clears the error
      continue;
    }
    const forced = result.changed.find((c) => c.branch === branch)?.forced ?? false;
    store.repos.recordFetched(repo, branch, head);
    store.events.append({
      kind: 'CommitSeen',
      repo,
      payload: { branch, commit: head, ...(recorded ? { from: recorded } : {}), forced },
    });
    changed.push({ branch, to: head, forced, ...(recorded ? { from: recorded } : {}) });
  }
  for (const d of result.deleted) {
    if (!followed.has(d.branch)) continue;
    const message = `branch ${d.branch} was deleted on the remote; commit ${d.last.slice(0, 12)} stays deployed`;
    recordErrors(store, repo, new Set([d.branch]), () => message);
    store.events.append({ kind: 'BranchDeleted', repo, payload: { branch: d.branch, last: d.last } });
  }
  const missing = [...followed].filter((b) => !result.heads.has(b) && !result.deleted.some((d) => d.branch === b));
  recordErrors(
    store,
    repo,
    new Set(missing),
    (b) => `branch ${b} does not exist in repo ${repo}; create it or fix the environment`,
  );
  return { repo, ok: true, changed };
}

/**
 * Lists the remote's branches once, within `timeoutMs`, and records on the repo whether it answered:
 * a repo just added shows at once that its remote cannot be reached, before any environment follows
 * it. The same request, URL and credentials as every fetch of the repo, so it reaches nothing a
 * fetch would not.
 */
export async function checkRemote(
  store: Store,
  sources: Sources,
  repo: string,
  timeoutMs: number,
  scrub: (text: string) => string = (t) => t,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await sources.get(repo).listRemote({ signal });
    recordRemote(store, repo);
  } catch (err) {
    const url = store.repos.get(repo)?.url ?? '';
    const message = signal.aborted
      ? `repo ${repo} (${displayRepoUrl(url)}): no answer within ${timeoutMs / 1000} s; the hub keeps trying every poll interval`
      : scrub(err instanceof Error ? err.message : String(err));
    recordRemote(store, repo, message);
  }
}

/** On the repo itself (a repo removed meanwhile has nothing to record on). */
function recordRemote(store: Store, repo: string, error?: string): void {
  try {
    store.repos.recordRemote(repo, error);
  } catch (err) {
    if (!(err instanceof StoreNotFoundError)) throw err;
  }
}

function recordErrors(store: Store, repo: string, branches: Set<string>, message: (branch: string) => string): void {
  for (const branch of branches) {
    const before = store.repos.getBranch(repo, branch);
    const text = message(branch);
    store.repos.recordFetchError(repo, branch, text);
    if (before?.error !== text) store.events.append({ kind: 'FetchFailed', repo, payload: { branch, message: text } });
  }
}
