import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { BundleCache, Enforcer, type Bundle, type DriftRecord, type KubeObject } from '@flotilla/agent';
import { clusterByName } from '../../harness/kube/client.js';
import {
  Kubectl,
  agentClient,
  bundle,
  configMap,
  deployment,
  inventories,
  namespace,
  unique,
} from './agent-support.js';

const alpha = clusterByName(inject('kubeClusters'), 'alpha');
const kubectl = new Kubectl(alpha);
const namespaces: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await kubectl.deleteNamespaces(...namespaces);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  kubectl.close();
});

/** An enforcer with its own client (to count its writes), recording drift as the hub would see it. */
function enforcer(cacheDir?: string, resyncMs?: number) {
  const client = agentClient(alpha);
  const drift: DriftRecord[] = [];
  const errors: unknown[] = [];
  const e = new Enforcer({
    client,
    inventories: inventories(client),
    ...(cacheDir ? { cache: new BundleCache(cacheDir) } : {}),
    ...(resyncMs ? { resyncMs } : {}),
    debounceMs: 100,
    onDrift: (d) => drift.push(d),
    onError: (err) => errors.push(err),
  });
  const stop = async () => {
    await e.stop();
    client.close();
  };
  return { e, client, drift, errors, stop };
}

function app(ns: string, o: Partial<Bundle['options']> = {}, image = 'nginx:1.27'): Bundle {
  return bundle(
    `test/${ns}`,
    [namespace(ns), configMap(ns, 'settings', { color: 'blue' }), deployment(ns, 'web', { replicas: 2, image })],
    o,
  );
}

function fresh(prefix: string): string {
  const ns = unique(prefix);
  namespaces.push(ns);
  return ns;
}

const data = async (ns: string) => (await kubectl.get('v1', 'ConfigMap', ns, 'settings'))?.data;
const replicas = async (ns: string) =>
  ((await kubectl.get('apps/v1', 'Deployment', ns, 'web'))?.spec as { replicas?: number })?.replicas;

describe('drift on a real apiserver', () => {
  it('corrects `kubectl scale` and an edited ConfigMap within seconds, reporting field, values and manager', async () => {
    const ns = fresh('heal');
    const { e, drift, stop, client } = enforcer();
    try {
      expect((await e.set(app(ns)))?.state).not.toBe('ErrApplied');
      await kubectl.scale(ns, 'web', 5);
      await kubectl.patch(`/api/v1/namespaces/${ns}/configmaps/settings`, 'kubectl-edit', { data: { color: 'red' } });

      await expect.poll(() => replicas(ns), { timeout: 10_000, interval: 200 }).toBe(2);
      await expect.poll(() => data(ns), { timeout: 10_000, interval: 200 }).toEqual({ color: 'blue' });
      await expect.poll(() => drift.filter((d) => d.corrected).length, { timeout: 5_000 }).toBe(2);
      expect(drift.find((d) => d.ref.kind === 'Deployment')).toMatchObject({
        ref: { kind: 'Deployment', namespace: ns, name: 'web' },
        fields: [{ path: '/spec/replicas', desired: 2, live: 5, manager: 'kubectl-scale' }],
        manager: 'kubectl-scale',
        corrected: true,
      });
      const cm = drift.find((d) => d.ref.kind === 'ConfigMap');
      expect(cm).toMatchObject({
        fields: [{ path: '/data/color', desired: 'blue', live: 'red', manager: 'kubectl-edit' }],
        manager: 'kubectl-edit',
      });
      expect(cm?.changedAt).toBeGreaterThan(Date.now() - 120_000);
      expect(cm?.detectedAt).toBeGreaterThanOrEqual(cm?.changedAt ?? 0);

      // Deleting an applied object is drift too: recreated.
      await kubectl.client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' });
      await expect.poll(() => data(ns), { timeout: 10_000, interval: 200 }).toEqual({ color: 'blue' });

      // Once converged, a full reconcile writes nothing.
      await e.settle();
      const writes = client.stats.writes;
      await e.set(app(ns));
      expect(client.stats.writes).toBe(writes);
    } finally {
      await stop();
    }
  });

  it('with self-heal off, reports drift with the manager’s name and leaves it', async () => {
    const ns = fresh('report');
    const { e, drift, stop } = enforcer();
    try {
      await e.set(app(ns, { selfHeal: false }));
      await kubectl.patch(`/api/v1/namespaces/${ns}/configmaps/settings`, 'kubectl-edit', { data: { color: 'red' } });
      await expect.poll(() => drift.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(drift[0]).toMatchObject({
        ref: { kind: 'ConfigMap', name: 'settings' },
        fields: [{ path: '/data/color', desired: 'blue', live: 'red', manager: 'kubectl-edit' }],
        manager: 'kubectl-edit',
        corrected: false,
      });
      await expect.poll(() => e.report(`test/${ns}`)?.state, { timeout: 5_000 }).toBe('Modified');
      expect(e.report(`test/${ns}`)?.message).toContain(
        `ConfigMap/${ns}/settings: drift: /data/color changed by kubectl-edit`,
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(await data(ns)).toEqual({ color: 'red' });
    } finally {
      await stop();
    }
  });

  // Issue #29, item 1: `kubectl create cm ... --dry-run=client -o yaml | kubectl replace -f -` drops the
  // bundle label (the label-selected watch then says DELETED) and Flotilla's managedFields entry.
  const replaceSettings = (ns: string, color: string) =>
    kubectl.replace(`/api/v1/namespaces/${ns}/configmaps/settings`, configMap(ns, 'settings', { color }));
  const bundleLabel = async (ns: string) =>
    (await kubectl.get('v1', 'ConfigMap', ns, 'settings'))?.metadata.labels?.['flotilla.dev/bundle'];

  it('corrects `kubectl replace`, which takes the label and every field Flotilla held, naming kubectl-replace', async () => {
    const ns = fresh('replace');
    const { e, drift, stop } = enforcer();
    try {
      await e.set(app(ns));
      const replaced = await replaceSettings(ns, 'red');
      expect(replaced.metadata.labels?.['flotilla.dev/bundle']).toBeUndefined();
      expect(replaced.metadata.managedFields?.map((m) => m.manager)).toEqual(['kubectl-replace']);

      await expect.poll(() => data(ns), { timeout: 10_000, interval: 200 }).toEqual({ color: 'blue' });
      expect(await bundleLabel(ns)).toBe(`test.${ns}`);
      await expect.poll(() => drift.filter((d) => d.corrected).length, { timeout: 5_000 }).toBe(1);
      expect(drift[0]).toMatchObject({
        ref: { kind: 'ConfigMap', namespace: ns, name: 'settings' },
        manager: 'kubectl-replace',
        corrected: true,
      });
      expect(drift[0]?.fields).toContainEqual(
        expect.objectContaining({ path: '/data/color', desired: 'blue', live: 'red', manager: 'kubectl-replace' }),
      );
      expect(drift[0]?.correctedAt).toBeGreaterThanOrEqual(drift[0]?.detectedAt ?? Infinity);
      await e.settle();
      expect(e.report(`test/${ns}`)?.state).not.toBe('Modified');
    } finally {
      await stop();
    }
  });

  it('with self-heal off, reports `kubectl replace` as drift, and every resync still does (the label is gone)', async () => {
    const ns = fresh('replace-off');
    const { e, drift, stop } = enforcer(undefined, 1500);
    try {
      await e.start();
      await e.set(app(ns, { selfHeal: false }));
      await replaceSettings(ns, 'red');
      await expect.poll(() => drift.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(drift[0]).toMatchObject({ ref: { name: 'settings' }, manager: 'kubectl-replace', corrected: false });
      await expect.poll(() => e.report(`test/${ns}`)?.state, { timeout: 5_000 }).toBe('Modified');
      expect(e.report(`test/${ns}`)?.message).toContain(`ConfigMap/${ns}/settings: drift: `);
      expect(e.report(`test/${ns}`)?.message).toContain('changed by kubectl-replace');

      // The periodic full reconcile reads it by name (the inventory holds it) and reports it again.
      const seen = drift.length;
      await expect.poll(() => drift.length, { timeout: 10_000 }).toBeGreaterThan(seen);
      expect(drift.at(-1)).toMatchObject({ manager: 'kubectl-replace', corrected: false });
      expect(e.report(`test/${ns}`)?.state).toBe('Modified');
      expect(await data(ns)).toEqual({ color: 'red' });
      expect(await bundleLabel(ns)).toBeUndefined();
    } finally {
      await stop();
    }
  });

  it('leaves ignored fields alone (a pointer, or fields held by a named manager), and applies Git changes around them', async () => {
    const ns = fresh('ignore');
    const ignore = [
      { object: { kind: 'Deployment', name: 'web' }, jsonPointers: ['/spec/replicas'], managers: [] },
      { object: { kind: 'Deployment', name: 'api' }, jsonPointers: [], managers: ['hpa-controller'] },
    ];
    const withApi = (image: string) => {
      const b = app(ns, { ignore }, image);
      return { ...b, objects: [...b.objects, deployment(ns, 'api', { replicas: 2, image })] };
    };
    const { e, drift, stop } = enforcer();
    try {
      await e.set(withApi('nginx:1.27'));
      await kubectl.scale(ns, 'web', 4, 'hpa-controller');
      await kubectl.scale(ns, 'api', 3, 'hpa-controller');
      await new Promise((r) => setTimeout(r, 1500));
      await e.settle();
      expect(await replicas(ns)).toBe(4);
      expect((await kubectl.get('apps/v1', 'Deployment', ns, 'api'))?.spec).toMatchObject({ replicas: 3 });
      expect(drift).toEqual([]);
      expect(e.report(`test/${ns}`)?.state).not.toBe('Modified');

      const r = await e.set(withApi('nginx:1.28'));
      expect(r?.objects.filter((o) => o.ref.kind === 'Deployment').map((o) => o.change)).toEqual([
        'configured',
        'configured',
      ]);
      const live = (await kubectl.get('apps/v1', 'Deployment', ns, 'web')) as KubeObject;
      expect(live.spec).toMatchObject({ replicas: 4, template: { spec: { containers: [{ image: 'nginx:1.28' }] } } });
      const api = (await kubectl.get('apps/v1', 'Deployment', ns, 'api')) as KubeObject;
      expect(api.spec).toMatchObject({ replicas: 3, template: { spec: { containers: [{ image: 'nginx:1.28' }] } } });
    } finally {
      await stop();
    }
  });

  it('keeps enforcing its cached bundles after a restart without the hub', async () => {
    const ns = fresh('offline');
    const cache = mkdtempSync(join(tmpdir(), 'flotilla-cache-'));
    dirs.push(cache);
    const before = enforcer(cache);
    await before.e.set(app(ns));
    await before.stop();

    // A new agent process: no bundle handed to it, only its disk cache and the cluster's inventory.
    const after = enforcer(cache);
    try {
      await after.e.start();
      expect(after.e.deployments()).toEqual([`test/${ns}`]);
      await kubectl.patch(`/api/v1/namespaces/${ns}/configmaps/settings`, 'kubectl-edit', { data: { color: 'red' } });
      await expect.poll(() => data(ns), { timeout: 10_000, interval: 200 }).toEqual({ color: 'blue' });
      expect(after.drift.some((d) => d.corrected && d.manager === 'kubectl-edit')).toBe(true);

      // The hub drops the bundle: everything it applied is pruned, its inventory and cache forgotten.
      expect(await after.e.remove(`test/${ns}`)).toBe(true);
      expect(after.e.deployments()).toEqual([]);
      expect(await inventories(kubectl.client).load(`test/${ns}`)).toBeUndefined();
      expect(await new BundleCache(cache).load()).toEqual([]);
      const gone = await kubectl.get('v1', 'Namespace', '', ns);
      expect(gone === undefined || gone.metadata.deletionTimestamp !== undefined).toBe(true);
    } finally {
      await after.stop();
    }
  });
});
