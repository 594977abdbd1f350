import { describe, expect, it } from 'vitest';
import { PruneError } from '../errors.js';
import { refKey, type ObjectRef } from '../objects.js';
import { deploymentLabelValue, optionsFromWire } from './bundle.js';
import type { ObjectResult } from './changes.js';
import { ownedDigest } from './fields.js';
import type { Inventory } from './inventory.js';
import type { PlannedChange } from './plan.js';
import { nextInventory } from './reconcile.js';
import { desiredDeployment, liveDeployment } from './testdata/fixtures.js';

const ref = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name });
const planned = (name: string, action: PlannedChange['action'], settled?: boolean): PlannedChange => ({
  ref: ref(name),
  key: refKey(ref(name)),
  action,
  reason: '',
  stage: 1,
  diffs: [],
  drift: false,
  ...(action === 'delete' || action === 'skip'
    ? {}
    : {
        desired: {
          ref: ref(name),
          key: refKey(ref(name)),
          object: desiredDeployment(),
          digest: `d-${name}`,
          stage: 1 as const,
        },
      }),
  ...(settled === undefined ? {} : { settled }),
});
const result = (c: PlannedChange, change: ObjectResult['change'], extra: Partial<ObjectResult> = {}): ObjectResult => ({
  ref: c.ref,
  key: c.key,
  change,
  reason: '',
  action: c.action,
  stage: 1,
  object: liveDeployment(),
  ...extra,
});

describe('nextInventory', () => {
  const previous: Inventory = {
    deployment: 'b',
    entries: new Map(
      ['kept-by-failure', 'pruned', 'survivor', 'drifted'].map((n) => [
        refKey(ref(n)),
        { ref: ref(n), digest: `old-${n}`, owned: `o-${n}` },
      ]),
    ),
  };

  it('holds what was applied, keeps survivors of failures, drops what was pruned', () => {
    const created = planned('created', 'create');
    const failedNew = planned('failed-new', 'create');
    const failedOld = planned('kept-by-failure', 'update');
    const pruned = planned('pruned', 'delete');
    const survivor = planned('survivor', 'delete');
    const drifted = planned('drifted', 'skip');
    const plan = [created, failedNew, failedOld, pruned, survivor, drifted];
    const results = [
      result(created, 'created'),
      result(failedNew, 'failed'),
      result(failedOld, 'failed'),
      result(pruned, 'deleted', { object: null }),
      result(survivor, 'failed', { error: new PruneError(ref('survivor'), 'forbidden') }),
      result(drifted, 'skipped'),
    ];
    const next = nextInventory('b', results, plan, previous, 'flotilla');
    const view = Object.fromEntries([...next.entries.values()].map((e) => [e.ref.name, [e.digest, e.owned]]));
    expect(view).toEqual({
      created: ['d-created', ownedDigest(liveDeployment(), 'flotilla')],
      'failed-new': ['', ''],
      'kept-by-failure': ['old-kept-by-failure', 'o-kept-by-failure'],
      survivor: ['old-survivor', 'o-survivor'],
    });
  });

  it('records the owned digest of an unchanged object only when Flotilla holds all its fields', () => {
    const settled = planned('survivor', 'unchanged', true);
    const unsettled = planned('drifted', 'unchanged', false);
    const next = nextInventory(
      'b',
      [result(settled, 'unchanged'), result(unsettled, 'unchanged')],
      [settled, unsettled],
      previous,
      'flotilla',
    );
    expect(next.entries.get(settled.key)?.owned).toBe(ownedDigest(liveDeployment(), 'flotilla'));
    expect(next.entries.get(unsettled.key)).toEqual({ ref: ref('drifted'), digest: 'd-drifted', owned: 'o-drifted' });
  });
});

describe('bundle options', () => {
  it('makes deployment ids label-safe', () => {
    expect(deploymentLabelValue('prod/apps/web')).toBe('prod.apps.web');
    expect(deploymentLabelValue('/weird id!/')).toBe('weird.id');
    expect(deploymentLabelValue('x'.repeat(80))).toHaveLength(63);
  });

  it('takes wire options as they come', () => {
    const o = optionsFromWire({
      defaultNamespace: '',
      selfHeal: false,
      prune: true,
      forceConflicts: false,
      ignore: [
        {
          object: { apiVersion: '', kind: 'Deployment', namespace: '', name: 'web' },
          jsonPointers: ['/spec/replicas'],
          managers: [],
        },
      ],
      dependsOn: [],
    });
    expect(o).toEqual({
      defaultNamespace: 'default',
      selfHeal: false,
      prune: true,
      forceConflicts: false,
      ignore: [
        {
          object: { apiVersion: '', kind: 'Deployment', namespace: '', name: 'web' },
          jsonPointers: ['/spec/replicas'],
          managers: [],
        },
      ],
    });
  });
});
