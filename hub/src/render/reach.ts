import { RemoteRefusedError, SymlinkEscapeError } from './errors.js';
import { scanTree } from './tree-scan.js';

/**
 * kustomize may read any kustomization of the repository (`resources: [../../base]`), so a symlink
 * out of the tree anywhere in it, or a remote base (which the sandbox has no network to fetch, and which
 * an uncontained kustomize would fetch from wherever it points), is refused before kustomize runs.
 */
export async function refuseKustomizeReach(root: string, dir: string): Promise<void> {
  const scan = await scanTree(root);
  // Named first what lies under the kustomization itself; anything in the tree may be reached from it.
  const mine = (p: string) => p === dir || p.startsWith(`${dir}/`);
  const link = scan.escapingSymlinks.find(mine) ?? scan.escapingSymlinks[0];
  if (link !== undefined) {
    throw new SymlinkEscapeError(
      `${link} is a symlink that resolves outside the repository; kustomize ${dir} may not run in a tree holding it`,
    );
  }
  const remote = scan.remoteKustomizeRefs.find((r) => mine(r.file)) ?? scan.remoteKustomizeRefs[0];
  if (remote !== undefined) {
    throw new RemoteRefusedError(
      `${remote.file}:${remote.line}: remote kustomize base ${JSON.stringify(remote.value)} is not fetched by the hub; ` +
        'vendor it into the repository',
    );
  }
}
