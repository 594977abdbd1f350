import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryStore, KubeClient, reconcile } from '@flotilla/agent';
import { startFleet, type KubeFleet } from '../../harness/kube/fleet.js';
import { occupyPort } from '../../harness/ports.js';
import { waitFor } from '../../harness/wait.js';
import { bundle, configMap, namespace } from './agent-support.js';

// Its own one-cluster minimal fleet (apiserver only), so restarting it disturbs no other suite.
let fleet: KubeFleet;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-restart-'));

beforeAll(async () => {
  fleet = await startFleet({ clusters: ['restart'], dir, minimal: true });
});

afterAll(async () => {
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const APISERVER = 'kube-apiserver[restart]';

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
      // SIGKILL: no graceful shutdown. The harness waits for the old process to be gone and its port
      // free, and fails with the apiserver's own words if it cannot come back: then so does this test.
      const restarting = fleet.restart(APISERVER, { signal: 'SIGKILL' });
      const r = await Promise.race([applying, restarting.then(() => applying)]);
      await restarting;
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

describe('the harness restarts an apiserver whose port is taken during the restart', () => {
  const port = () => Number(new URL(fleet.clusters[0]!.server).port);
  const ready = async () => {
    const client = KubeClient.fromKubeconfig(fleet.clusters[0]!.kubeconfig, undefined, {
      retry: { retryForMs: 0, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      const info = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true };
      return (await client.list(info, 'restart')).items.length > 0;
    } finally {
      client.close();
    }
  };

  it('waits while another listener holds the port, then comes back on it', { timeout: 120_000 }, async () => {
    let holder: Server | undefined;
    await fleet.restart(APISERVER, {
      signal: 'SIGKILL',
      whileDown: async () => {
        holder = await occupyPort(port());
        setTimeout(() => holder?.close(), 2000);
      },
    });
    expect(holder?.listening).toBe(false);
    expect(await ready()).toBe(true);
  });

  it('fails at once with the apiserver own bind error when the port stays taken', { timeout: 120_000 }, async () => {
    let holder: Server | undefined;
    const t0 = Date.now();
    try {
      const err = await fleet
        .restart(APISERVER, {
          signal: 'SIGKILL',
          launch: { portWaitMs: 500, attempts: 2 },
          whileDown: async () => {
            holder = await occupyPort(port());
          },
        })
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(err?.message).toMatch(/could not bind port \d+ in 2 starts.*still taken/s);
      expect(err?.message).toMatch(/address already in use/);
      // The apiserver's own error in seconds, not a test timeout minutes later.
      expect(Date.now() - t0).toBeLessThan(60_000);
    } finally {
      holder?.close();
    }
    // And once the port is free again, the same restart brings it back.
    await fleet.restart(APISERVER);
    expect(await ready()).toBe(true);
  });
});
