import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../bundle/index.js';
import { appliedObjects, refuseOverlaps, type Claim } from './ownership.js';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, spec?: object): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...(spec ? { spec } : {}),
});

describe('appliedObjects: objects named as the agent applies them', () => {
  it('puts namespaced objects without a namespace in the default one, and drops it from cluster-scoped ones', () => {
    const objects = [
      obj('apps/v1', 'Deployment', 'web'),
      obj('v1', 'ConfigMap', 'web', 'shop'),
      obj('v1', 'Namespace', 'shop', 'ignored'),
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
    ];
    expect([...appliedObjects(objects, 'team')].sort()).toEqual([
      'ConfigMap shop/web',
      'Namespace shop',
      'apps/Deployment team/web',
      'rbac.authorization.k8s.io/ClusterRole reader',
    ]);
    expect([...appliedObjects([obj('apps/v1', 'Deployment', 'web')], '')]).toEqual(['apps/Deployment default/web']);
  });

  it("knows the scope of the bundle's own cluster-scoped CRDs; an unknown kind counts as namespaced", () => {
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined, {
      group: 'example.com',
      scope: 'Cluster',
      names: { kind: 'Widget' },
    });
    const objects = [crd, obj('example.com/v1', 'Widget', 'w'), obj('other.io/v1', 'Gadget', 'g')];
    expect([...appliedObjects(objects, 'ns')].sort()).toEqual([
      'apiextensions.k8s.io/CustomResourceDefinition widgets.example.com',
      'example.com/Widget w',
      'other.io/Gadget ns/g',
    ]);
  });

  it('the API version is not part of the identity', () => {
    expect([...appliedObjects([obj('apps/v1beta1', 'Deployment', 'web', 'a')], 'x')]).toEqual([
      'apps/Deployment a/web',
    ]);
  });
});

const set = (...xs: string[]) => new Set(xs);
const claim = (
  environment: string,
  target: string,
  held?: Set<string>,
  proposed?: Set<string>,
  cluster = 'c1',
): Claim => ({
  cluster,
  environment,
  target,
  ...(held ? { held } : {}),
  ...(proposed ? { proposed } : {}),
});
const refused = (claims: Claim[]) =>
  refuseOverlaps(claims).map(
    (r) =>
      `${r.cluster} ${r.environment}/${r.target} by ${r.holder.environment}/${r.holder.target}: ${r.objects.join(',')}`,
  );

describe('refuseOverlaps: one deployment per object per cluster', () => {
  it.each([
    [
      'disjoint bundles are all accepted',
      [claim('dev', 'a', undefined, set('x')), claim('dev', 'b', undefined, set('y'))],
      [],
    ],
    [
      'the deployment that holds an object keeps it against a new claim',
      [claim('dev', 'b', set('x'), set('x')), claim('dev', 'a', undefined, set('x', 'y'))],
      ['c1 dev/a by dev/b: x'],
    ],
    [
      'two new claims: the first by environment/target wins',
      [claim('dev', 'web-b', undefined, set('x', 'y')), claim('dev', 'web-a', undefined, set('x', 'y'))],
      ['c1 dev/web-b by dev/web-a: x,y'],
    ],
    [
      'an object moved from one deployment to another in the same reconcile is handed over',
      [claim('dev', 'a', set('x', 'y'), set('y')), claim('dev', 'b', set('z'), set('x', 'z'))],
      [],
    ],
    [
      'the holder is given the same object whether it renders anew or not',
      [claim('dev', 'b', set('x')), claim('dev', 'a', undefined, set('x'))],
      ['c1 dev/a by dev/b: x'],
    ],
    [
      'two deployments that both hold an object (from before): the first keeps it, the other is refused',
      [claim('dev', 'b', set('x'), set('x')), claim('dev', 'a', set('x'), set('x'))],
      ['c1 dev/b by dev/a: x'],
    ],
    [
      'a refused deployment keeps what it holds, so a third deployment cannot take that',
      [
        claim('dev', 'a', set('x'), set('x')),
        claim('dev', 'b', set('y'), set('x')),
        claim('dev', 'c', undefined, set('y')),
      ],
      ['c1 dev/b by dev/a: x', 'c1 dev/c by dev/b: y'],
    ],
    [
      'the same target in two environments is two deployments',
      [claim('dev', 'web', undefined, set('x')), claim('prod', 'web', undefined, set('x'))],
      ['c1 prod/web by dev/web: x'],
    ],
    [
      'clusters are independent',
      [claim('dev', 'a', undefined, set('x'), 'c1'), claim('dev', 'b', undefined, set('x'), 'c2')],
      [],
    ],
    [
      'one refusal per holder',
      [claim('dev', 'a', set('x')), claim('dev', 'b', set('y')), claim('dev', 'c', undefined, set('x', 'y', 'z'))],
      ['c1 dev/c by dev/a: x', 'c1 dev/c by dev/b: y'],
    ],
  ])('%s', (_name, claims, expected) => {
    expect(refused(claims)).toEqual(expected);
    // Deterministic whatever the order the claims come in.
    expect(refused([...claims].reverse())).toEqual(expected);
  });

  it('is stable: the refused state, fed back as what is held, refuses the same claim again', () => {
    const first = refused([claim('dev', 'a', undefined, set('x')), claim('dev', 'b', undefined, set('x'))]);
    // After the first reconcile a holds x (deployed), b holds nothing (refused, none before).
    const second = refused([claim('dev', 'a', set('x'), set('x')), claim('dev', 'b', undefined, set('x'))]);
    expect(first).toEqual(['c1 dev/b by dev/a: x']);
    expect(second).toEqual(first);
    // The holder gone (its target removed), the other one takes the objects.
    expect(refused([claim('dev', 'b', undefined, set('x'))])).toEqual([]);
  });
});
