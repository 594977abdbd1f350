import { runTool } from './run.js';
import type { Sandbox } from './sandbox.js';

export interface KustomizeBuildOptions {
  kustomize: string;
  sandbox: Sandbox;
  dir: string;
  /** What the build may read: the exported repository tree the kustomization is in. */
  readable: readonly string[];
  what: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/**
 * `kustomize build`, with files restricted to the kustomization's root (no reading outside it), in the
 * sandbox: no network (remote bases are refused before, see render/remote-refs.ts), nothing of the hub.
 */
export function kustomizeBuild(o: KustomizeBuildOptions): Promise<string> {
  return runTool(o.kustomize, ['build', '--load-restrictor=LoadRestrictionsRootOnly', '--', o.dir], {
    sandbox: o.sandbox,
    what: o.what,
    timeoutMs: o.timeoutMs ?? 60_000,
    maxOutputBytes: o.maxOutputBytes ?? 64 * 2 ** 20,
    readOnly: [o.dir, ...o.readable],
    scratch: [],
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp' },
  });
}
