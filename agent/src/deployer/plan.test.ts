import { describe, expect, it } from 'vitest';
import { digestOf, refKey, type KubeObject } from '../objects.js';
import { defaultOptions, PRUNE_ANNOTATION, type BundleOptions } from './bundle.js';
import { ownedDigest } from './fields.js';
import type { Inventory } from './inventory.js';
import { plan, planObject, summarize } from './plan.js';
import type { DesiredObject } from './prepare.js';
import { SCALED_BY_KUBECTL, desiredDeployment, liveDeployment } from './testdata/fixtures.js';

const M = 'flotilla';

function desired(obj: KubeObject): DesiredObject {
  const ref = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  };
  return { ref, key: refKey(ref), object: obj, digest: digestOf(obj), stage: 1 };
}

const web = desired(desiredDeployment());
const applied = { ref: web.ref, digest: web.digest, owned: ownedDigest(liveDeployment(), M) };
const opts = (o: Partial<BundleOptions> = {}): BundleOptions => ({ ...defaultOptions(), ...o });

describe('planObject', () => {
  it.each([
    ['missing → create', null, undefined, opts(), 'create', 'not found in the cluster', false],
    ['kind not served yet → create', undefined, undefined, opts(), 'create', 'its kind is not served yet', false],
    ['deleted since applied → create, as drift', null, applied, opts(), 'create', 'deleted from the cluster', true],
    ['deleted, self-heal off → skip', null, applied, opts({ selfHeal: false }), 'skip', 'self-heal is off', true],
    ['as applied → unchanged', liveDeployment(), applied, opts(), 'unchanged', 'matches the last apply', false],
    [
      'no inventory, live matches → unchanged',
      liveDeployment(),
      undefined,
      opts(),
      'unchanged',
      'already matches',
      false,
    ],
    [
      'scaled by kubectl → update (drift)',
      liveDeployment(5, 'nginx:1.27', [SCALED_BY_KUBECTL]),
      applied,
      opts(),
      'update',
      'drift: /spec/replicas changed by kubectl-scale',
      true,
    ],
    [
      'scaled, self-heal off → skip (drift)',
      liveDeployment(5, 'nginx:1.27', [SCALED_BY_KUBECTL]),
      applied,
      opts({ selfHeal: false }),
      'skip',
      'self-heal is off',
      true,
    ],
    [
      'scaled, ignored by pointer → unchanged',
      liveDeployment(5, 'nginx:1.27', [SCALED_BY_KUBECTL]),
      applied,
      opts({ ignore: [{ object: { kind: 'Deployment' }, jsonPointers: ['/spec/replicas'], managers: [] }] }),
      'unchanged',
      'other writers hold some fields',
      false,
    ],
    [
      'scaled, ignored by manager → unchanged',
      liveDeployment(5, 'nginx:1.27', [SCALED_BY_KUBECTL]),
      applied,
      opts({ ignore: [{ object: { name: 'web' }, jsonPointers: [], managers: ['kubectl-scale'] }] }),
      'unchanged',
      'other writers',
      false,
    ],
    [
      'not applied by Flotilla → update (adopt)',
      { ...liveDeployment(), metadata: { ...liveDeployment().metadata, managedFields: [] } },
      undefined,
      opts(),
      'update',
      'adopting',
      false,
    ],
  ] as const)('%s', (_name, live, inv, o, action, reason, drift) => {
    const c = planObject(web, live as KubeObject | null | undefined, inv, o, M);
    expect(c.action).toBe(action);
    expect(c.reason).toContain(reason);
    expect(c.drift).toBe(drift);
  });

  it('plans an update naming the changed paths when Git changed', () => {
    const next = desired(desiredDeployment(2, 'nginx:1.28'));
    const c = planObject(next, liveDeployment(), applied, opts(), M);
    expect(c).toMatchObject({
      action: 'update',
      reason: 'changed in Git: /spec/template/spec/containers/0/image',
      drift: false,
    });
    expect(c.diffs).toEqual([expect.objectContaining({ desired: 'nginx:1.28', live: 'nginx:1.27', owned: true })]);
  });

  it('attributes drift to the manager that holds the field', () => {
    const c = planObject(web, liveDeployment(5, 'nginx:1.27', [SCALED_BY_KUBECTL]), applied, opts(), M);
    expect(c.diffs).toEqual([
      expect.objectContaining({ path: '/spec/replicas', desired: 2, live: 5, manager: 'kubectl-scale' }),
    ]);
  });
});

describe('planObject: fields another writer took (kubectl replace)', () => {
  const label = { 'flotilla.dev/bundle': 'dev.web' };
  const settings = desired({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'shop', labels: label },
    data: { color: 'blue' },
  });
  const entry = (manager: string, operation: string, fieldsV1: object, time: string) => ({
    manager,
    operation,
    apiVersion: 'v1',
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsV1 as never,
  });
  const ours = entry(
    'flotilla',
    'Apply',
    { 'f:data': { 'f:color': {} }, 'f:metadata': { 'f:labels': { 'f:flotilla.dev/bundle': {} } } },
    '2026-11-26T09:00:00Z',
  );
  const live = (
    data: Record<string, string>,
    labels: Record<string, string> | undefined,
    managedFields: object[],
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'settings',
      namespace: 'shop',
      ...(labels ? { labels } : {}),
      managedFields: managedFields as never,
    },
    data,
  });
  const asApplied = live({ color: 'blue' }, label, [ours]);
  const inv = { ref: settings.ref, digest: settings.digest, owned: ownedDigest(asApplied, M) };
  /** What `kubectl create cm --dry-run=client -o yaml | kubectl replace -f -` leaves: no label, no Flotilla entry. */
  const replaced = live({ color: 'red' }, undefined, [
    entry('kubectl-replace', 'Update', { 'f:data': { 'f:color': {} } }, '2026-11-26T10:00:00Z'),
  ]);

  it('is drift, naming the fields and kubectl-replace, when every field was taken from an applied object', () => {
    const c = planObject(settings, replaced, inv, opts(), M);
    expect(c).toMatchObject({ action: 'update', drift: true });
    expect(c.reason).toBe('drift: /metadata/labels, /data/color changed by kubectl-replace');
    expect(c.diffs).toEqual([
      expect.objectContaining({
        path: '/metadata/labels',
        desired: label,
        live: undefined,
        manager: 'kubectl-replace',
      }),
      expect.objectContaining({ path: '/data/color', desired: 'blue', live: 'red', manager: 'kubectl-replace' }),
    ]);
    // An inventory that recorded no owned digest ('') does not stand for "no entry now".
    expect(planObject(settings, replaced, { ...inv, owned: '' }, opts(), M)).toMatchObject({ drift: true });
  });

  it('with self-heal off, is drift left in place', () => {
    const c = planObject(settings, replaced, inv, opts({ selfHeal: false }), M);
    expect(c).toMatchObject({ action: 'skip', drift: true });
    expect(c.reason).toContain('changed by kubectl-replace; self-heal is off');
  });

  it('is drift when only some fields were taken (the label removed, the value kept)', () => {
    const relabelled = live({ color: 'blue' }, { team: 'shop' }, [
      entry('flotilla', 'Apply', { 'f:data': { 'f:color': {} } }, '2026-11-26T09:00:00Z'),
      entry('kubectl-replace', 'Update', {}, '2026-11-26T10:00:00Z'),
    ]);
    const c = planObject(settings, relabelled, inv, opts(), M);
    expect(c).toMatchObject({ action: 'update', drift: true });
    expect(c.reason).toBe('drift: /metadata/labels/flotilla.dev~1bundle changed by kubectl-replace');
  });

  it('adopts what Flotilla never applied, or only meant to (an inventory entry in progress)', () => {
    for (const i of [undefined, { ref: settings.ref, digest: '', owned: '' }]) {
      const c = planObject(settings, replaced, i, opts(), M);
      expect(c).toMatchObject({
        action: 'update',
        drift: false,
        reason: 'exists, not yet applied by Flotilla: adopting',
      });
    }
  });

  it('applies a change from Git over fields another writer took, as a change, not drift', () => {
    const c = planObject(settings, replaced, { ...inv, digest: 'older' }, opts(), M);
    expect(c).toMatchObject({ action: 'update', drift: false });
    expect(c.reason).toContain('changed in Git: ');
  });

  it('is unchanged when the fields are as applied', () => {
    expect(planObject(settings, asApplied, inv, opts(), M)).toMatchObject({ action: 'unchanged', drift: false });
  });
});

describe('plan', () => {
  const cm = (name: string, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) },
  });
  const gone = desired(cm('gone'));
  const kept = desired(cm('kept'));
  const inventory: Inventory = {
    deployment: 'b',
    entries: new Map([
      [gone.key, { ref: gone.ref, digest: 'x', owned: 'y' }],
      [kept.key, { ref: kept.ref, digest: 'x', owned: 'y' }],
      [web.key, applied],
    ]),
  };

  it('deletes what left the bundle, except what an annotation keeps', () => {
    const live = new Map<string, KubeObject | null>([
      [web.key, liveDeployment()],
      [gone.key, cm('gone')],
      [kept.key, cm('kept', { [PRUNE_ANNOTATION]: 'disabled' })],
    ]);
    const changes = plan({ desired: [web], live, inventory, options: opts(), manager: M });
    expect(changes.map((c) => [c.ref.name, c.action])).toEqual([
      ['web', 'unchanged'],
      ['gone', 'delete'],
      ['kept', 'skip'],
    ]);
    expect(summarize(changes)).toBe('1 unchanged, 1 delete, 1 skip');
  });

  it('deletes nothing when pruning is off, and skips what is already gone', () => {
    const live = new Map<string, KubeObject | null>([
      [web.key, liveDeployment()],
      [gone.key, null],
      [kept.key, cm('kept')],
    ]);
    const off = plan({ desired: [web], live, inventory, options: opts({ prune: false }), manager: M });
    expect(off.filter((c) => c.action === 'delete')).toEqual([]);
    const on = plan({ desired: [web], live, inventory, options: opts(), manager: M });
    expect(on.find((c) => c.ref.name === 'gone')).toMatchObject({
      action: 'skip',
      reason: 'left the bundle; already gone',
    });
  });

  it('never plans to delete what the inventory does not hold', () => {
    const live = new Map<string, KubeObject | null>([[web.key, liveDeployment()]]);
    const changes = plan({ desired: [], live, options: opts(), manager: M });
    expect(changes).toEqual([]);
  });
});
