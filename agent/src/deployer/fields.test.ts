import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../objects.js';
import { ownedDigest, ownedFieldsDiff, ownerOf, pointersHeldBy } from './fields.js';
import { SCALED_BY_KUBECTL, applyEntry, desiredDeployment, liveDeployment } from './testdata/fixtures.js';

const M = 'flotilla';

describe('ownedFieldsDiff', () => {
  it('finds nothing when the live object holds what was applied (defaults and canonical quantities aside)', () => {
    const r = ownedFieldsDiff(desiredDeployment(), liveDeployment(), M);
    expect(r).toEqual({ diffs: [], complete: true });
  });

  it.each([
    [
      'a changed image (Git)',
      desiredDeployment(2, 'nginx:1.28'),
      '/spec/template/spec/containers/0/image',
      'nginx:1.28',
      'nginx:1.27',
    ],
    ['a changed replica count (Git)', desiredDeployment(3), '/spec/replicas', 3, 2],
  ])('reports %s as an owned difference', (_what, desired, path, want, have) => {
    const { diffs } = ownedFieldsDiff(desired, liveDeployment(), M);
    expect(diffs).toEqual([expect.objectContaining({ path, desired: want, live: have, owned: true })]);
  });

  it('reports a field another manager took (kubectl scale) as unowned, with its managedFields path', () => {
    const live = liveDeployment(5, 'nginx:1.27', [SCALED_BY_KUBECTL]);
    const { diffs, complete } = ownedFieldsDiff(desiredDeployment(), live, M);
    expect(diffs).toEqual([
      { path: '/spec/replicas', desired: 2, live: 5, owned: false, fieldPath: ['f:spec', 'f:replicas'] },
    ]);
    expect(complete).toBe(false);
    expect(ownerOf(live, ['f:spec', 'f:replicas'], M)).toEqual({ manager: 'kubectl-scale', operation: 'Update' });
  });

  it('is incomplete but silent when another manager holds an equal value', () => {
    const live = liveDeployment(2, 'nginx:1.27', [SCALED_BY_KUBECTL]);
    expect(ownedFieldsDiff(desiredDeployment(), live, M)).toEqual({ diffs: [], complete: false });
  });

  it('reports a field Flotilla owns that the desired object dropped', () => {
    const desired = desiredDeployment();
    delete (desired.metadata.labels as Record<string, string>).app;
    const { diffs } = ownedFieldsDiff(desired, liveDeployment(), M);
    expect(diffs).toEqual([
      expect.objectContaining({ path: '/metadata/labels/app', desired: undefined, live: 'web', owned: true }),
    ]);
  });

  it('matches keyed list items by the keys managedFields records, defaulted key fields included', () => {
    const desired = desiredDeployment();
    const c = (desired.spec as { template: { spec: { containers: { ports: unknown[] }[] } } }).template.spec
      .containers[0];
    if (c) c.ports = [{ containerPort: 80 }, { containerPort: 443 }];
    const { diffs } = ownedFieldsDiff(desired, liveDeployment(), M);
    expect(diffs.map((d) => [d.path, d.owned])).toEqual([['/spec/template/spec/containers/0/ports/1', false]]);
  });

  it('compares set lists (finalizers) as sets', () => {
    const fields = { 'f:metadata': { 'f:finalizers': { '.': {}, 'v:"a"': {}, 'v:"b"': {} } } };
    const mk = (finalizers: string[]): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', finalizers },
    });
    const live = { ...mk(['b', 'a']), metadata: { ...mk(['b', 'a']).metadata, managedFields: [applyEntry(fields)] } };
    expect(ownedFieldsDiff(mk(['a', 'b']), live, M).diffs).toEqual([]);
    expect(ownedFieldsDiff(mk(['a']), live, M).diffs.map((d) => [d.live, d.owned])).toEqual([['b', true]]);
  });

  it('treats an object Flotilla never applied as entirely unowned', () => {
    const live = liveDeployment();
    live.metadata.managedFields = [];
    const r = ownedFieldsDiff(desiredDeployment(), live, M);
    expect(r).toEqual({ diffs: [], complete: false });
  });
});

describe('ownedDigest', () => {
  it('changes when another writer takes a field, and not otherwise', () => {
    const a = ownedDigest(liveDeployment(), M);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(ownedDigest(liveDeployment(9), M)).toBe(a);
    expect(ownedDigest(liveDeployment(9, 'x', [SCALED_BY_KUBECTL]), M)).not.toBe(a);
    expect(ownedDigest({ apiVersion: 'v1', kind: 'X', metadata: {} }, M)).toBe('');
  });
});

describe('ownerOf', () => {
  it('names the latest imperative writer when nobody holds a removed field', () => {
    const live = liveDeployment();
    live.metadata.managedFields?.push(
      { manager: 'old-editor', operation: 'Update', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:data': {} } },
      { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-26T10:00:00Z', fieldsV1: { 'f:metadata': {} } },
    );
    expect(ownerOf(live, ['f:data', 'f:gone'], M)).toEqual({
      manager: 'kubectl-edit',
      operation: 'Update',
      time: '2026-11-26T10:00:00Z',
    });
  });
});

describe('pointersHeldBy', () => {
  it('maps a manager’s fields onto the desired object', () => {
    expect(pointersHeldBy(desiredDeployment(), SCALED_BY_KUBECTL.fieldsV1)).toEqual(['/spec/replicas']);
    const imageOwner = {
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } },
    };
    expect(pointersHeldBy(desiredDeployment(), imageOwner)).toEqual(['/spec/template/spec/containers/0/image']);
  });
});
