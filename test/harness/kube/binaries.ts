import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KUBE_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'helm',
  'kustomize',
  /** Not a binary: kwok's Stage objects, assembled from the kwok module by the build script. */
  'kwok-stages',
] as const;
export type KubeBinary = (typeof KUBE_BINARIES)[number];
export type KubeBinaries = Record<KubeBinary, string>;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = join(REPO_ROOT, 'scripts/kube-binaries.sh');

export class MissingBinariesError extends Error {
  readonly code = 'MISSING_BINARIES';
}

/**
 * Where each binary is: envtest's TEST_ASSET_<NAME> or $KUBEBUILDER_ASSETS/<name> when set, else the
 * version-keyed build cache. The shell script is the single place that knows the pins and the cache.
 */
export function locateBinaries(): KubeBinaries {
  let out: string;
  try {
    out = execFileSync('bash', [SCRIPT, '--paths'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new MissingBinariesError(
      `Kubernetes test binaries are missing: ${stderr || String(err)}. ` +
        'Build them once with `npm run kube:binaries` (about 20 minutes cold), or point ' +
        'KUBEBUILDER_ASSETS / TEST_ASSET_<NAME> at existing binaries.',
      { cause: err },
    );
  }
  const paths: Partial<KubeBinaries> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq) as KubeBinary;
    if ((KUBE_BINARIES as readonly string[]).includes(name)) paths[name] = line.slice(eq + 1);
  }
  for (const name of KUBE_BINARIES) {
    if (!paths[name]) throw new MissingBinariesError(`kube-binaries.sh --paths did not name ${name}`);
  }
  return paths as KubeBinaries;
}
