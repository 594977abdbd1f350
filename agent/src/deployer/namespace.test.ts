import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../objects.js';
import { defaultOptions, PRUNE_ANNOTATION, type Bundle, type BundleNamespace } from './bundle.js';
import { CREATED_FOR_ANNOTATION, namespaceObjects } from './namespace.js';
import { prepare } from './prepare.js';

const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'shop' }, data: {} };

function bundle(ns: Partial<BundleNamespace> | undefined, objects: KubeObject[] = [cm]): Bundle {
  return {
    deployment: 'dev/web',
    objects,
    options: {
      ...defaultOptions(),
      ...(ns
        ? {
            namespace: {
              name: 'shop',
              labels: {},
              annotations: {},
              deleteWithDeployment: false,
              enforce: false,
              ...ns,
            },
          }
        : {}),
    },
  };
}

const live = (annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'shop', annotations },
});

describe('the namespace a bundle names (fleet.yaml namespace / defaultNamespace)', () => {
  it('leads the bundle when absent: created for it, labelled, kept when the bundle goes', () => {
    const objects = namespaceObjects(
      bundle({ labels: { team: 'shop', 'pod-security.kubernetes.io/enforce': 'privileged' }, annotations: { a: '1' } }),
      null,
    );
    expect(objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: 'shop',
          labels: { team: 'shop' },
          annotations: { a: '1', [CREATED_FOR_ANNOTATION]: 'dev/web', [PRUNE_ANNOTATION]: 'disabled' },
        },
      },
      cm,
    ]);
    // Staged first, as Namespaces are: it exists before the objects that live in it are applied.
    const { desired } = prepare({ ...bundle(undefined), objects }, (_v, kind) => kind !== 'Namespace');
    expect(desired.map((d) => `${d.stage} ${d.ref.kind}`)).toEqual(['0 Namespace', '1 ConfigMap']);
  });

  it('goes with the bundle only when deleteNamespace asks and the agent created it', () => {
    const created = namespaceObjects(
      bundle({ deleteWithDeployment: true }),
      live({ [CREATED_FOR_ANNOTATION]: 'dev/web' }),
    );
    expect(created[0]?.metadata.annotations).toEqual({ [CREATED_FOR_ANNOTATION]: 'dev/web' });
    const foreign = namespaceObjects(bundle({ deleteWithDeployment: true, labels: { team: 'x' } }), live());
    expect(foreign[0]?.metadata.annotations).toEqual({ [PRUNE_ANNOTATION]: 'disabled' });
  });

  it('leaves a namespace someone else made as it is, unless the bundle labels or annotates it', () => {
    expect(namespaceObjects(bundle({}), live())).toEqual([cm]);
    expect(namespaceObjects(bundle({}), live({ [CREATED_FOR_ANNOTATION]: 'dev/other' }))).toEqual([cm]);
    const [ns] = namespaceObjects(bundle({ annotations: { owner: 'shop' } }), live());
    expect(ns?.metadata).toEqual({ name: 'shop', annotations: { owner: 'shop', [PRUNE_ANNOTATION]: 'disabled' } });
  });

  it("adds the labels to the bundle's own Namespace object rather than a second one", () => {
    const own: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { a: '1' } } };
    expect(namespaceObjects(bundle({}, [own, cm]), null)).toEqual([own, cm]);
    expect(namespaceObjects(bundle({ labels: { a: '2', b: '3' } }, [own, cm]), null)).toEqual([
      { ...own, metadata: { name: 'shop', labels: { a: '2', b: '3' } } },
      cm,
    ]);
  });

  it("never lets a repository's labels or annotations forge Flotilla's own keys", () => {
    const [ns] = namespaceObjects(
      bundle({
        labels: { 'flotilla.dev/bundle': 'x' },
        annotations: { [CREATED_FOR_ANNOTATION]: 'dev/other', [PRUNE_ANNOTATION]: 'enabled' },
        deleteWithDeployment: true,
      }),
      null,
    );
    expect(ns?.metadata).toEqual({ name: 'shop', annotations: { [CREATED_FOR_ANNOTATION]: 'dev/web' } });
  });

  it('namespace (not defaultNamespace) puts every namespaced object there and refuses cluster-scoped ones', () => {
    const elsewhere: KubeObject = { ...cm, metadata: { name: 'other', namespace: 'kube-system' } };
    const role: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'r' },
    };
    const scope = (_v: string, kind: string) => kind !== 'Namespace' && kind !== 'ClusterRole';
    const enforced = bundle({ enforce: true }, [elsewhere, role]);
    const { desired, invalid } = prepare({ ...enforced, objects: namespaceObjects(enforced, null) }, scope);
    expect(desired.map((d) => `${d.ref.kind}/${d.ref.namespace}/${d.ref.name}`)).toEqual([
      'Namespace//shop',
      'ConfigMap/shop/other',
    ]);
    expect(invalid.map((x) => [x.ref.name, x.error.message])).toEqual([
      [
        'r',
        "ClusterRole r is cluster-scoped, and fleet.yaml's namespace: shop puts every object of the bundle in that " +
          'namespace, as Fleet does; use defaultNamespace instead to deploy cluster-scoped objects',
      ],
    ]);
    // defaultNamespace only fills in: an object naming a namespace keeps it, a cluster-scoped one is fine.
    const defaulted = prepare(bundle({}, [elsewhere, role]), scope);
    expect(defaulted.desired.map((d) => `${d.ref.kind}/${d.ref.namespace}/${d.ref.name}`)).toEqual([
      'ConfigMap/kube-system/other',
      'ClusterRole//r',
    ]);
  });

  it('changes nothing when the options name no namespace', () => {
    const b = bundle(undefined);
    expect(namespaceObjects(b, null)).toBe(b.objects);
  });
});
