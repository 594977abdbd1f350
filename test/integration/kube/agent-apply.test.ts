import { describe, expect, it } from 'vitest';
import { PRUNE_ANNOTATION, inventoryName, reconcile, type KubeObject } from '@flotilla/agent';

import {
  agentClient,
  bundle,
  configMap,
  deployment,
  inventories,
  namespace,
  unique,
  useClusterAlpha,
} from './agent-support.js';

const { alpha, client, store, kubectl, fresh, clusterScoped, changes } = useClusterAlpha();

describe('apply engine on a real apiserver', () => {
  it('creates, leaves unchanged without a single write, updates and prunes', async () => {
    const ns = fresh('rt');
    const id = `test/${ns}`;
    const v1 = bundle(id, [
      namespace(ns),
      configMap(ns, 'settings', { color: 'blue' }),
      configMap(ns, 'leaving', { x: '1' }),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, stringData: { token: 's3cret' } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
      deployment(ns, 'web'),
    ]);
    const first = await reconcile(v1, { client, inventories: store });
    expect(changes(first)).toEqual({
      [`Namespace/${ns}`]: 'created',
      'ConfigMap/settings': 'created',
      'ConfigMap/leaving': 'created',
      'Secret/creds': 'created',
      'Service/web': 'created',
      'Deployment/web': 'created',
    });
    expect(first.report.state).not.toBe('ErrApplied');

    const writes = client.stats.writes;
    const again = await reconcile(v1, { client, inventories: store });
    expect(new Set(Object.values(changes(again)))).toEqual(new Set(['unchanged']));
    expect(client.stats.writes - writes).toBe(0);

    const v2 = bundle(id, [
      namespace(ns),
      configMap(ns, 'settings', { color: 'green' }),
      configMap(ns, 'arriving', { y: '2' }),
      ...v1.objects.slice(3),
    ]);
    const third = await reconcile(v2, { client, inventories: store });
    expect(changes(third)).toMatchObject({
      'ConfigMap/settings': 'configured',
      'ConfigMap/arriving': 'created',
      'ConfigMap/leaving': 'deleted',
      'Deployment/web': 'unchanged',
    });
    expect(third.plan.find((c) => c.ref.name === 'settings')?.reason).toBe('changed in Git: /data/color');
    expect(await kubectl.get('v1', 'ConfigMap', ns, 'leaving')).toBeUndefined();
    expect((await kubectl.get('v1', 'ConfigMap', ns, 'settings'))?.data).toEqual({ color: 'green' });

    // The inventory lives in the cluster: a new agent (a fresh store) reads the same objects.
    const inv = await inventories(agentClient(alpha)).load(id);
    expect([...(inv?.entries.values() ?? [])].map((e) => `${e.ref.kind}/${e.ref.name}`).sort()).toEqual(
      [
        'ConfigMap/arriving',
        'ConfigMap/settings',
        `Namespace/${ns}`,
        'Secret/creds',
        'Service/web',
        'Deployment/web',
      ].sort(),
    );
    const cm = await kubectl.get('v1', 'ConfigMap', 'flotilla-system', inventoryName(id));
    expect(cm?.metadata.labels).toMatchObject({ 'flotilla.dev/inventory': 'true' });
  });

  it('keeps an object whose annotation disables pruning, and never deletes what the inventory does not hold', async () => {
    const ns = fresh('keep');
    const id = `test/${ns}`;
    await reconcile(
      bundle(id, [
        namespace(ns),
        configMap(ns, 'a', {}),
        configMap(ns, 'kept', {}, { [PRUNE_ANNOTATION]: 'disabled' }),
      ]),
      {
        client,
        inventories: store,
      },
    );
    // Not in the inventory, though labelled as if it belonged to the bundle.
    await kubectl.client.apply({
      ...configMap(ns, 'stranger', {}),
      metadata: { name: 'stranger', namespace: ns, labels: { 'flotilla.dev/bundle': `test.${ns}` } },
    });
    const r = await reconcile(bundle(id, [namespace(ns)]), { client, inventories: store });
    expect(changes(r)).toMatchObject({ 'ConfigMap/a': 'deleted', 'ConfigMap/kept': 'skipped' });
    expect(r.plan.find((c) => c.ref.name === 'kept')?.reason).toBe(
      `left the bundle; kept by ${PRUNE_ANNOTATION}: disabled`,
    );
    expect(await kubectl.get('v1', 'ConfigMap', ns, 'kept')).toBeDefined();
    expect(await kubectl.get('v1', 'ConfigMap', ns, 'stranger')).toBeDefined();
    expect([...r.inventory.entries.values()].map((e) => e.ref.name)).toEqual([ns]);
  });

  it('keeps a survivor of a failed prune in the inventory, and prunes it on a later reconcile', async () => {
    const ns = fresh('guard');
    const id = `test/${ns}`;
    const policy = unique('flotilla-test-no-delete');
    const guard: KubeObject[] = [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['configmaps'] },
            ],
          },
          validations: [
            { expression: "oldObject.metadata.name != 'guarded'", message: 'guarded ConfigMaps cannot be deleted' },
          ],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policy },
        spec: {
          policyName: policy,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
        },
      },
    ];
    clusterScoped.push(...guard.map((g) => ({ apiVersion: g.apiVersion, kind: g.kind, name: policy })));
    await reconcile(bundle(id, [namespace(ns), configMap(ns, 'guarded', {}), configMap(ns, 'free', {})]), {
      client,
      inventories: store,
    });
    for (const g of guard) await kubectl.client.apply(g);

    // The policy takes a moment to load: wait until a dry-run delete is refused.
    const dryDelete = () =>
      kubectl.client.transport
        .request({
          method: 'DELETE',
          path: `/api/v1/namespaces/${ns}/configmaps/guarded?dryRun=All`,
          what: 'dry delete',
        })
        .then(
          () => 'allowed',
          (err: Error) => err.message,
        );
    await expect.poll(dryDelete, { timeout: 20_000 }).toContain('guarded ConfigMaps cannot be deleted');

    const target = bundle(id, [namespace(ns)]);
    const blocked = await reconcile(target, { client, inventories: store });
    const failed = blocked.results.find((x) => x.ref.name === 'guarded');
    expect(failed?.error?.message).toContain(`ConfigMap/${ns}/guarded: `);
    expect(failed?.error?.message).toContain('guarded ConfigMaps cannot be deleted');
    expect([...blocked.inventory.entries.values()].map((e) => e.ref.name).sort()).toEqual(['guarded', ns].sort());
    expect((await store.load(id))?.entries.size).toBe(2);

    for (const g of guard) await kubectl.client.delete({ ...g, namespace: '', name: policy });
    await expect
      .poll(async () => changes(await reconcile(target, { client, inventories: store }))['ConfigMap/guarded'], {
        timeout: 20_000,
      })
      .toBe('deleted');
    expect((await store.load(id))?.entries.size).toBe(1);
  });
});
