import type { Environment, Target } from '../store/index.js';

/** The key of one exported tree: a commit of a repo. */
export const treeKey = (repo: string, commit: string) => `${repo}\u0000${commit}`;

/**
 * The trees the hub still needs: the recorded head of every branch that an environment follows and
 * some target of the same repo deploys to. Those are the only commits a reconcile renders. A commit
 * still deployed on clusters whose head failed to render is not among them: what clusters run is
 * the stored bundle, a rollback writes a new commit from the mirror's objects, and the render cache
 * keeps bundles, not files; a tree that is needed again is exported again.
 */
export function wantedTrees(
  environments: readonly Pick<Environment, 'name' | 'repo' | 'branch'>[],
  targets: readonly Pick<Target, 'repo' | 'environments'>[],
  head: (repo: string, branch: string) => string | undefined,
): Set<string> {
  const deployed = new Set(targets.flatMap((t) => t.environments.map((e) => `${t.repo}\u0000${e}`)));
  const wanted = new Set<string>();
  for (const env of environments) {
    if (!deployed.has(`${env.repo}\u0000${env.name}`)) continue;
    const commit = head(env.repo, env.branch);
    if (commit) wanted.add(treeKey(env.repo, commit));
  }
  return wanted;
}

/** What the name of an entry of a repo's trees directory says it is. */
export type TreeDirName =
  | { kind: 'tree'; commit: string }
  | { kind: 'partial'; commit: string; pid: number }
  | { kind: 'deleting' }
  | { kind: 'other' };

export function parseTreeDirName(name: string): TreeDirName {
  const partial = /^([0-9a-f]{40}|[0-9a-f]{64})\.partial-(\d+)$/.exec(name);
  if (partial) return { kind: 'partial', commit: partial[1] ?? '', pid: Number(partial[2]) };
  if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(name)) return { kind: 'tree', commit: name };
  if (/\.deleting-[0-9a-z-]+$/.test(name)) return { kind: 'deleting' };
  return { kind: 'other' };
}
