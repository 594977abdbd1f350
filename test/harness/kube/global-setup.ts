import { dirname, join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from './binaries.js';
import { liveProcesses, readRecord, startFleet, type KubeClusterInfo } from './fleet.js';
import { LB_ASSIGNER_NAME, startLbAssigner } from './lb-assigner.js';

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
      if (record && picked.every((c) => c !== undefined)) {
        project.provide('kubeClusters', picked as KubeClusterInfo[]);
        // Clusters started before the fleet had a load-balancer assigner get one for this run (a
        // Lease per cluster keeps concurrent runs from both acting).
        const lb =
          record.minimal || liveProcesses(record).some((p) => p.name === LB_ASSIGNER_NAME)
            ? undefined
            : await startLbAssigner({
                kubeconfigs: record.clusters.map((c) => c.kubeconfig),
                logFile: join(mkdtempSync(join(tmpdir(), 'flotilla-lb-')), 'lb-assigner.log'),
                detached: false,
              });
        return async () => {
          await lb?.stop();
          if (lb) rmSync(dirname(lb.logFile), { recursive: true, force: true });
        };
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
