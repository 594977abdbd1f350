import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from './binaries.js';
import { liveProcesses, readRecord, startFleet, type KubeClusterInfo } from './fleet.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeClusters: KubeClusterInfo[];
  }
}

export interface KubeSetupOptions {
  clusters: string[];
  minimal?: boolean;
}

/**
 * A vitest globalSetup that starts the simulated clusters a suite asks for and hands each test
 * `inject('kubeClusters')`. With FLOTILLA_KUBE_REUSE=1, clusters already started by
 * `npm run kube:up -- --names ...` are used instead (a faster edit-test loop).
 */
export function kubeGlobalSetup(opts: KubeSetupOptions) {
  return async function setup(project: TestProject): Promise<() => Promise<void>> {
    if (process.env.FLOTILLA_KUBE_REUSE === '1') {
      const record = readRecord(join(REPO_ROOT, '.flotilla/kube'));
      const have = record && liveProcesses(record).length > 0 ? record.clusters : [];
      const picked = opts.clusters.map((n) => have.find((c) => c.name === n));
      if (picked.every((c) => c !== undefined)) {
        project.provide('kubeClusters', picked as KubeClusterInfo[]);
        return async () => {};
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-kube-'));
    const fleet = await startFleet({ clusters: opts.clusters, dir, minimal: opts.minimal ?? false });
    project.provide('kubeClusters', fleet.clusters);
    return async () => {
      await fleet.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  };
}
