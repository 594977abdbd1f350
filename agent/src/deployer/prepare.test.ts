import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../objects.js';
import { DEPLOYMENT_LABEL, defaultOptions, type Bundle } from './bundle.js';
import { prepare, type ScopeOf } from './prepare.js';

const SCOPES: Record<string, boolean> = {
  'v1/ConfigMap': true,
  'v1/Secret': true,
  'v1/Namespace': false,
  'rbac.authorization.k8s.io/v1/ClusterRole': false,
};
const scopeOf: ScopeOf = (apiVersion, kind) => SCOPES[`${apiVersion}/${kind}`];

function bundle(objects: unknown[]): Bundle {
  return {
    deployment: 'dev/apps/web',
    objects: objects as KubeObject[],
    options: { ...defaultOptions(), defaultNamespace: 'shop' },
  };
}

describe('prepare', () => {
  it('normalizes: default namespace, no namespace on cluster-scoped, label, no server fields or nulls', () => {
    const { desired, invalid } = prepare(
      bundle([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'a', creationTimestamp: null, resourceVersion: '9' },
          data: { k: 'v' },
          status: {},
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'r', namespace: 'oops' },
          rules: [],
        },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      ]),
      scopeOf,
    );
    expect(invalid).toEqual([]);
    expect(desired.map((d) => [d.key, d.stage])).toEqual([
      ['/ConfigMap/shop/a', 1],
      ['rbac.authorization.k8s.io/ClusterRole//r', 1],
      ['/Namespace//shop', 0],
    ]);
    expect(desired[0]?.object).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'shop', labels: { [DEPLOYMENT_LABEL]: 'dev.apps.web' } },
      data: { k: 'v' },
    });
    expect(desired[1]?.object.metadata.namespace).toBeUndefined();
  });

  it('moves Secret stringData into data, as the apiserver would (never touching its input)', () => {
    const freeze = <T>(v: T): T => {
      if (typeof v === 'object' && v !== null) Object.values(v).forEach(freeze);
      return Object.freeze(v);
    };
    const { desired } = prepare(
      freeze(
        bundle([
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eA==' }, stringData: { b: 'y' } },
        ]),
      ),
      scopeOf,
    );
    expect(desired[0]?.object).toMatchObject({ data: { a: 'eA==', b: 'eQ==' } });
    expect(desired[0]?.object).not.toHaveProperty('stringData');
  });

  it('takes the scope of custom kinds from CRDs in the same bundle', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: [{ name: 'v1' }],
      },
    };
    const { desired } = prepare(
      bundle([crd, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]),
      scopeOf,
    );
    expect(desired.map((d) => [d.ref.kind, d.ref.namespace, d.stage])).toEqual([
      ['CustomResourceDefinition', '', 0],
      ['Widget', 'shop', 1],
    ]);
  });

  it('refuses objects without a name, and duplicates, naming them', () => {
    const { desired, invalid } = prepare(
      bundle([
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'x-' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'shop' } },
      ]),
      scopeOf,
    );
    expect(desired).toHaveLength(1);
    expect(invalid.map((i) => i.error.message)).toEqual([
      'object #1 (ConfigMap) has no metadata.name; generateName is not supported (it would duplicate on every apply)',
      'object #3 appears twice in the bundle',
    ]);
  });

  it('gives equal objects equal digests and different ones different digests', () => {
    const a = prepare(
      bundle([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { x: '1', y: '2' } }]),
      scopeOf,
    );
    const b = prepare(
      bundle([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { y: '2', x: '1' } }]),
      scopeOf,
    );
    const c = prepare(
      bundle([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { x: '1', y: '3' } }]),
      scopeOf,
    );
    expect(a.desired[0]?.digest).toBe(b.desired[0]?.digest);
    expect(a.desired[0]?.digest).not.toBe(c.desired[0]?.digest);
  });
});
