import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../errors.js';
import { digestOf, refKey } from '../objects.js';
import { conflictingManagers, withoutIgnored } from './apply.js';
import { defaultOptions } from './bundle.js';
import type { PlannedChange } from './plan.js';
import { SCALED_BY_KUBECTL, desiredDeployment, liveDeployment } from './testdata/fixtures.js';

describe('conflictingManagers', () => {
  it('reads manager names from the causes of a 409', () => {
    const err = new KubeApiError('apply', {
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 2 conflicts',
      causes: [
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "kubectl-scale" with subresource "scale" using apps/v1',
          field: '.spec.replicas',
        },
        { reason: 'FieldManagerConflict', message: 'conflict with "helm" using apps/v1', field: '.spec.template' },
        { reason: 'FieldManagerConflict', message: 'conflict with "helm" using apps/v1', field: '.metadata.labels' },
      ],
    });
    expect(conflictingManagers(err)).toEqual(['kubectl-scale', 'helm']);
  });
});

describe('withoutIgnored', () => {
  const object = desiredDeployment();
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
  const change = (live = liveDeployment(5, 'nginx:1.27', [SCALED_BY_KUBECTL])): PlannedChange => ({
    ref,
    key: refKey(ref),
    action: 'update',
    reason: '',
    stage: 1,
    desired: { ref, key: refKey(ref), object, digest: digestOf(object), stage: 1 },
    live,
    diffs: [],
    drift: false,
  });
  const rule = (jsonPointers: string[], managers: string[] = []) => ({
    ...defaultOptions(),
    ignore: [{ object: { kind: 'Deployment' }, jsonPointers, managers }],
  });

  it('leaves out an ignored field another manager holds (an HPA’s replicas)', () => {
    expect(withoutIgnored(change(), rule(['/spec/replicas']), 'flotilla').spec).not.toHaveProperty('replicas');
    expect(withoutIgnored(change(), rule([], ['kubectl-scale']), 'flotilla').spec).not.toHaveProperty('replicas');
  });

  it('keeps it while Flotilla still holds it, and keeps everything without rules', () => {
    expect(withoutIgnored(change(liveDeployment()), rule(['/spec/replicas']), 'flotilla')).toBe(object);
    expect(withoutIgnored(change(), defaultOptions(), 'flotilla')).toBe(object);
  });
});
