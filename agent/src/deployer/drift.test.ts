import { describe, expect, it } from 'vitest';
import { driftOf, toWireDrift } from './drift.js';
import type { PlannedChange } from './plan.js';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
const base: PlannedChange = { ref, key: 'k', action: 'update', reason: 'drift', stage: 1, diffs: [], drift: true };

describe('driftOf', () => {
  it('reports fields, values, and the manager and time of the latest writer', () => {
    const c: PlannedChange = {
      ...base,
      live: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {} },
      diffs: [
        { path: '/spec/replicas', desired: 2, live: 5, owned: false, fieldPath: [], manager: 'kubectl-scale' },
        {
          path: '/metadata/labels/x',
          desired: 'a',
          live: 'b',
          owned: false,
          fieldPath: [],
          manager: 'kubectl-edit',
          time: '2026-11-26T10:00:00Z',
        },
      ],
    };
    expect(driftOf(c, 'b', 99)).toEqual({
      deployment: 'b',
      ref,
      fields: [
        { path: '/spec/replicas', desired: 2, live: 5, manager: 'kubectl-scale' },
        { path: '/metadata/labels/x', desired: 'a', live: 'b', manager: 'kubectl-edit', time: '2026-11-26T10:00:00Z' },
      ],
      manager: 'kubectl-edit',
      changedAt: Date.parse('2026-11-26T10:00:00Z'),
      detectedAt: 99,
      corrected: false,
    });
  });

  it('reports a deleted object, and nothing when there is no drift', () => {
    expect(driftOf({ ...base, action: 'create', live: null }, 'b', 5)).toMatchObject({
      fields: [{ path: '', desired: 'exists' }],
      manager: '',
      changedAt: 5,
    });
    expect(driftOf({ ...base, drift: false }, 'b', 5)).toBeUndefined();
  });

  it('tells the hub when drift was detected and corrected, by the agent’s clock', () => {
    const d = driftOf({ ...base, action: 'create', live: null }, 'b', 5)!;
    expect(toWireDrift({ ...d, corrected: true, correctedAt: 7 })).toMatchObject({
      changedAtUnixMs: 5,
      detectedAtUnixMs: 5,
      corrected: true,
      correctedAtUnixMs: 7,
    });
    expect(toWireDrift(d)).toMatchObject({ corrected: false, correctedAtUnixMs: 0 });
  });
});
