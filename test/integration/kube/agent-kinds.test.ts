import { describe, expect, it } from 'vitest';
import { reconcile, type KubeObject } from '@flotilla/agent';

import { bundle, configMap, namespace, unique, useClusterAlpha } from './agent-support.js';

const { client, store, kubectl, fresh, clusterScoped, changes } = useClusterAlpha();

describe('apply engine: CRDs, namespaces, cluster-scoped objects', () => {
  it('applies a CRD and its custom resources in one bundle', async () => {
    const ns = fresh('crd');
    const group = `${unique('g')}.flotilla.test`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    clusterScoped.push({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: `widgets.${group}`,
    });
    const widget = (name: string, size: number): KubeObject => ({
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size },
    });
    const b = bundle(`test/${ns}`, [widget('small', 1), widget('large', 9), crd, namespace(ns)], {
      defaultNamespace: ns,
    });
    const r = await reconcile(b, { client, inventories: store });
    expect(changes(r)).toEqual({
      [`Namespace/${ns}`]: 'created',
      [`CustomResourceDefinition/widgets.${group}`]: 'created',
      'Widget/small': 'created',
      'Widget/large': 'created',
    });
    expect(r.report.state).toBe('Ready');
    expect((await kubectl.get(`${group}/v1`, 'Widget', ns, 'large'))?.spec).toEqual({ size: 9 });
    const writes = client.stats.writes;
    expect(new Set(Object.values(changes(await reconcile(b, { client, inventories: store }))))).toEqual(
      new Set(['unchanged']),
    );
    expect(client.stats.writes).toBe(writes);
  });

  it('applies across several namespaces and cluster-scoped objects, and prunes cluster-scoped ones', async () => {
    const [a, b2] = [fresh('multi-a'), fresh('multi-b')];
    const role = unique('flotilla-test-reader');
    clusterScoped.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: role });
    const clusterRole: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    };
    const binding = (ns: string): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'readers', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
    });
    const id = `test/${a}`;
    const all = [
      namespace(a),
      namespace(b2),
      clusterRole,
      binding(a),
      binding(b2),
      configMap(a, 'x', {}),
      configMap(b2, 'x', {}),
    ];
    const r = await reconcile(bundle(id, all), { client, inventories: store });
    expect(r.results.every((x) => x.change === 'created')).toBe(true);
    expect(r.results).toHaveLength(7);
    expect((await kubectl.get('rbac.authorization.k8s.io/v1', 'RoleBinding', b2, 'readers'))?.roleRef).toMatchObject({
      name: role,
    });

    const pruned = await reconcile(
      bundle(
        id,
        all.filter((o) => o.kind !== 'ClusterRole'),
      ),
      { client, inventories: store },
    );
    expect(pruned.results.find((x) => x.ref.kind === 'ClusterRole')?.change).toBe('deleted');
    expect(await kubectl.get('rbac.authorization.k8s.io/v1', 'ClusterRole', '', role)).toBeUndefined();
  });
});
