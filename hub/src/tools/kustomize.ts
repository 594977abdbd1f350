import { runTool } from './run.js';

export interface KustomizeBuildOptions {
  kustomize: string;
  dir: string;
  what: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/** `kustomize build`, with files restricted to the kustomization's root (no reading outside it). */
export function kustomizeBuild(o: KustomizeBuildOptions): Promise<string> {
  return runTool(o.kustomize, ['build', o.dir, '--load-restrictor', 'LoadRestrictionsRootOnly'], {
    what: o.what,
    timeoutMs: o.timeoutMs ?? 60_000,
    maxOutputBytes: o.maxOutputBytes ?? 64 * 2 ** 20,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
}
