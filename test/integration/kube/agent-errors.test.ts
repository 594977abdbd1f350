import { describe, expect, it } from 'vitest';
import { reconcile, type KubeObject } from '@flotilla/agent';

import { bundle, configMap, namespace, useClusterAlpha } from './agent-support.js';

const { client, store, kubectl, fresh, changes } = useClusterAlpha();

describe('apply engine: invalid objects and field conflicts', () => {
  it('reports an invalid object as ErrApplied with the apiserver message, and applies the others', async () => {
    const ns = fresh('bad');
    const broken: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken', namespace: ns },
      spec: { replicas: 1, template: {} },
    };
    const r = await reconcile(
      bundle(`test/${ns}`, [namespace(ns), configMap(ns, 'fine', { a: '1' }), broken, configMap(ns, 'Bad_Name', {})]),
      {
        client,
        inventories: store,
      },
    );
    expect(changes(r)).toMatchObject({
      'ConfigMap/fine': 'created',
      'Deployment/broken': 'failed',
      'ConfigMap/Bad_Name': 'failed',
    });
    expect(r.report.state).toBe('ErrApplied');
    expect(r.report.message).toContain(
      `Deployment/${ns}/broken: Deployment.apps "broken" is invalid: [spec.selector: Required value`,
    );
    expect(r.report.message).toContain(`ConfigMap/${ns}/Bad_Name: ConfigMap "Bad_Name" is invalid`);
    expect(r.results.find((x) => x.ref.name === 'broken')?.error?.code).toBe('APPLY_FAILED');
    expect(await kubectl.get('v1', 'ConfigMap', ns, 'fine')).toBeDefined();
  });

  it('reports a conflict with another declarative applier, and takes the field only when the bundle forces', async () => {
    const ns = fresh('conflict');
    await kubectl.client.apply(namespace(ns));
    await kubectl.patch(
      `/api/v1/namespaces/${ns}/configmaps/shared`,
      'helm',
      configMap(ns, 'shared', { color: 'red' }),
      'application/apply-patch+yaml',
    );
    const id = `test/${ns}`;
    const mine = [configMap(ns, 'shared', { color: 'blue' })];
    const r = await reconcile(bundle(id, mine), { client, inventories: store });
    const failed = r.results[0];
    expect(failed?.change).toBe('failed');
    expect(failed?.error?.code).toBe('APPLY_CONFLICT');
    expect(failed?.error?.message).toBe(
      `ConfigMap/${ns}/shared: Apply failed with 1 conflict: conflict with "helm": .data.color`,
    );
    expect((await kubectl.get('v1', 'ConfigMap', ns, 'shared'))?.data).toEqual({ color: 'red' });

    const forced = await reconcile(bundle(id, mine, { forceConflicts: true }), { client, inventories: store });
    expect(forced.results[0]?.change).toBe('configured');
    const live = await kubectl.get('v1', 'ConfigMap', ns, 'shared');
    expect(live?.data).toEqual({ color: 'blue' });
    expect(live?.metadata.managedFields?.find((m) => m.manager === 'helm')?.fieldsV1 ?? {}).not.toHaveProperty(
      'f:data',
    );
  });
});
