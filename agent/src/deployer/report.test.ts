import { describe, expect, it } from 'vitest';
import { ApplyError } from '../errors.js';
import type { ObjectResult } from './changes.js';
import type { DriftRecord } from './drift.js';
import { toWireDrift } from './drift.js';
import type { HealthResult } from './health.js';
import { foldReport, toWireStatus } from './report.js';

const ref = (name: string, kind = 'ConfigMap') => ({ apiVersion: 'v1', kind, namespace: 'shop', name });
const res = (name: string, change: ObjectResult['change'], extra: Partial<ObjectResult> = {}): ObjectResult => ({
  ref: ref(name),
  key: name,
  change,
  reason: 'r',
  action: change === 'deleted' ? 'delete' : 'update',
  stage: 1,
  ...extra,
});
const ok: HealthResult = { health: 'Ready', message: '' };

describe('foldReport', () => {
  it('is Ready when every object is', () => {
    const r = foldReport('b', [res('a', 'created'), res('gone', 'deleted')], new Map([['a', ok]]), [], 1);
    expect(r).toMatchObject({ state: 'Ready', message: '1 objects ready' });
  });

  it('is NotReady naming the objects that hold it back and why', () => {
    const health = new Map<string, HealthResult>([
      ['a', ok],
      ['web', { health: 'InProgress', message: '0 of 1 replicas available' }],
    ]);
    const r = foldReport('b', [res('a', 'unchanged'), res('web', 'configured')], health, [], 1);
    expect(r).toMatchObject({ state: 'NotReady', message: 'ConfigMap/shop/web: 0 of 1 replicas available' });
  });

  it('is ErrApplied with the apiserver message, which wins over everything', () => {
    const error = new ApplyError(ref('bad'), 'ConfigMap "bad" is invalid');
    const health = new Map<string, HealthResult>([['web', { health: 'InProgress', message: 'x' }]]);
    const r = foldReport('b', [res('bad', 'failed', { error }), res('web', 'configured')], health, [], 1);
    expect(r).toMatchObject({ state: 'ErrApplied', message: 'ConfigMap/shop/bad: ConfigMap "bad" is invalid' });
  });

  it('is Modified while drift stays uncorrected, Pending when nothing is known yet', () => {
    const drift: DriftRecord = {
      bundleId: 'b',
      ref: ref('a'),
      fields: [{ path: '/data/x', desired: '1', live: '2', manager: 'kubectl-edit' }],
      manager: 'kubectl-edit',
      changedAt: 1,
      detectedAt: 2,
      corrected: false,
    };
    const skipped = res('a', 'skipped', { action: 'skip', reason: 'drift: /data/x changed by kubectl-edit' });
    expect(foldReport('b', [skipped], new Map([['a', ok]]), [drift], 1)).toMatchObject({
      state: 'Modified',
      message: 'ConfigMap/shop/a: drift: /data/x changed by kubectl-edit',
    });
    expect(foldReport('b', [res('a', 'configured')], new Map(), [], 1).state).toBe('Pending');
  });

  it('maps to the wire messages', () => {
    const r = foldReport('b', [res('a', 'created')], new Map([['a', ok]]), [], 7, 'sha');
    expect(toWireStatus(r, 3)).toEqual({
      bundleId: 'b',
      digest: 'sha',
      generation: 3,
      state: 'BUNDLE_STATE_READY',
      message: '1 objects ready',
      objects: [{ object: ref('a'), change: 'OBJECT_CHANGE_CREATED', health: 'OBJECT_HEALTH_READY', message: '' }],
      observedAtUnixMs: 7,
    });
    const drift: DriftRecord = {
      bundleId: 'b',
      ref: ref('a'),
      fields: [{ path: '/data/x', desired: 'blue', live: 'red', manager: 'kubectl-edit' }],
      manager: 'kubectl-edit',
      changedAt: 5,
      detectedAt: 6,
      corrected: true,
    };
    expect(toWireDrift(drift)).toMatchObject({
      fields: [{ path: '/data/x', desiredJson: '"blue"', liveJson: '"red"' }],
      corrected: true,
    });
  });
});
