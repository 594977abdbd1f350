import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryStore, KubeClient, reconcile } from '@flotilla/agent';
import { startFleet, type KubeFleet } from '../../harness/kube/fleet.js';
import { spawnServer, type Spawned } from '../../harness/process.js';
import { waitFor } from '../../harness/wait.js';
import { bundle, configMap, namespace } from './agent-support.js';

// Its own one-cluster minimal fleet (apiserver only), so restarting it disturbs no other suite.
let fleet: KubeFleet;
let restarted: Spawned | undefined;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-restart-'));

beforeAll(async () => {
  fleet = await startFleet({ clusters: ['restart'], dir, minimal: true });
});

afterAll(async () => {
  await restarted?.stop();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Kills the apiserver (SIGKILL: no graceful shutdown) and starts it again with the same flags. */
function restartApiserver(): Spawned {
  const proc = fleet.record.processes.find((p) => p.name.startsWith('kube-apiserver'));
  if (!proc) throw new Error('no apiserver in the fleet');
  const argv = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(proc.pid, 'SIGKILL');
  return spawnServer(argv[0] ?? proc.command, argv.slice(1), {
    name: 'kube-apiserver[restart] (again)',
    logFile: `${proc.logFile}.2`,
  });
}

describe('the apiserver restarts during an apply', () => {
  // Generous limits: on a loaded 2-core CI machine the restarted apiserver can take tens of seconds.
  it('retries and completes: every object applied, inventory complete', { timeout: 240_000 }, async () => {
    const cluster = fleet.clusters[0];
    if (!cluster) throw new Error('fleet has no cluster');
    const client = KubeClient.fromKubeconfig(cluster.kubeconfig, undefined, {
      retry: { retryForMs: 180_000, baseDelayMs: 200, maxDelayMs: 2_000 },
    });
    const watcher = KubeClient.fromKubeconfig(cluster.kubeconfig, undefined, {
      retry: { retryForMs: 0, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      const ns = 'restart';
      const objects = [
        namespace(ns),
        ...Array.from({ length: 300 }, (_, i) => configMap(ns, `cm-${i}`, { i: String(i) })),
      ];
      const store = new InventoryStore(client);
      const applying = reconcile(bundle('test/restart', objects), { client, inventories: store, concurrency: 2 });

      const info = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true };
      await waitFor(async () => (await watcher.list(info, ns).catch(() => ({ items: [] }))).items.length >= 30, {
        what: 'the apply under way',
        timeoutMs: 60_000,
        intervalMs: 50,
      });
      restarted = restartApiserver();

      const why = () => `${restarted?.exited() ?? 'running'}\n${restarted?.tail(30)}`;
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        applying.catch((err: unknown) => {
          // Say why, with the restarted apiserver's own last words.
          throw new Error(`apply failed after the restart: ${String(err)}\n${why()}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`apply not done 200 s after the restart\n${why()}`)), 200_000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(r.results.filter((x) => x.change === 'failed').map((x) => x.error?.message)).toEqual([]);
      expect(r.results).toHaveLength(301);
      expect(client.stats.retries).toBeGreaterThan(0);
      const live = await client.list(info, ns);
      expect(live.items.filter((o) => o.metadata.name?.startsWith('cm-'))).toHaveLength(300);
      expect((await store.load('test/restart'))?.entries.size).toBe(301);
    } finally {
      client.close();
      watcher.close();
    }
  });
});
