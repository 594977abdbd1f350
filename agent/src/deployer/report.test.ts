import { describe, expect, it } from 'vitest';
import { ApplyError } from '../errors.js';
import type { ObjectResult } from './changes.js';
import type { DriftRecord } from './drift.js';
import { toWireDrift } from './drift.js';
import type { HealthResult } from './health.js';
import { foldReport, toWireStatus, WIRE_OBJECTS_MAX } from './report.js';

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

describe('toWireStatus', () => {
  it(`lists only the objects not ready, worst first and at most ${WIRE_OBJECTS_MAX}, and counts them all`, () => {
    const error = new ApplyError(ref('bad'), 'ConfigMap "bad" is invalid');
    const health = new Map<string, HealthResult>([
      ['a', ok],
      ['web', { health: 'InProgress', message: '0 of 1 replicas available' }],
      ['new', { health: 'Unknown', message: '' }],
    ]);
    const r = foldReport(
      'b',
      [res('new', 'created'), res('a', 'unchanged'), res('web', 'configured'), res('bad', 'failed', { error })],
      health,
      [],
      1,
    );
    const w = toWireStatus(r, 2);
    expect(w).toMatchObject({ state: 'BUNDLE_STATE_ERR_APPLIED', objectsTotal: 4, objectsReady: 1 });
    expect(w.objects?.map((o) => [o.object?.name, o.state, o.health, o.change])).toEqual([
      ['bad', 'BUNDLE_STATE_ERR_APPLIED', 'OBJECT_HEALTH_UNKNOWN', 'OBJECT_CHANGE_FAILED'],
      ['new', 'BUNDLE_STATE_PENDING', 'OBJECT_HEALTH_UNKNOWN', 'OBJECT_CHANGE_CREATED'],
      ['web', 'BUNDLE_STATE_NOT_READY', 'OBJECT_HEALTH_IN_PROGRESS', 'OBJECT_CHANGE_CONFIGURED'],
    ]);
    expect(w.objects?.[2]?.message).toBe('0 of 1 replicas available');

    const many = Array.from({ length: WIRE_OBJECTS_MAX + 50 }, (_, i) => res(`o${i}`, 'configured'));
    const big = toWireStatus(foldReport('b', many, new Map(), [], 1));
    expect(big).toMatchObject({ objectsTotal: WIRE_OBJECTS_MAX + 50, objectsReady: 0 });
    expect(big.objects).toHaveLength(WIRE_OBJECTS_MAX);
    expect(big.objects?.[0]?.object?.name).toBe('o0');
  });
});

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
      deployment: 'b',
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
      deployment: 'b',
      digest: 'sha',
      generation: 3,
      state: 'BUNDLE_STATE_READY',
      message: '1 objects ready',
      // Every object counted; the ready ones not listed.
      objects: [],
      objectsTotal: 1,
      objectsReady: 1,
      observedAtUnixMs: 7,
    });
    const drift: DriftRecord = {
      deployment: 'b',
      ref: ref('a'),
      fields: [{ path: '/data/x', desired: 'blue', live: 'red', manager: 'kubectl-edit' }],
      manager: 'kubectl-edit',
      changedAt: 5,
      detectedAt: 6,
      corrected: true,
    };
    expect(toWireDrift(drift)).toMatchObject({
      deployment: 'b',
      fields: [{ path: '/data/x', desiredJson: '"blue"', liveJson: '"red"' }],
      corrected: true,
    });
  });
});
