import { describe, expect, it } from 'vitest';
import { refKey, type ObjectRef } from '../objects.js';
import type { Inventory } from './inventory.js';
import { applyClaims, NO_CLAIMS, type Claims } from './ownership.js';
import type { Action, PlannedChange } from './plan.js';
import type { DesiredObject } from './prepare.js';

const ref = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name });
const key = (name: string) => refKey(ref(name));

function change(name: string, action: Action, desired: boolean): PlannedChange {
  const r = ref(name);
  const d: DesiredObject | undefined = desired
    ? {
        ref: r,
        key: key(name),
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
        digest: 'd',
        stage: 1,
      }
    : undefined;
  return {
    ref: r,
    key: key(name),
    action,
    reason: 'planned',
    stage: 1,
    diffs: [],
    drift: false,
    ...(d ? { desired: d } : {}),
  };
}

const inventory = (...names: string[]): Inventory => ({
  deployment: 'dev/mine',
  entries: new Map(names.map((n) => [key(n), { ref: ref(n), digest: 'd', owned: 'o' }])),
});

/** Another bundle, dev/other, holds `held` and wants `wanted`. */
const other = (held: string[], wanted: string[] = held): Claims => ({
  holder: (k) => (held.some((n) => key(n) === k) && wanted.some((n) => key(n) === k) ? 'dev/other' : undefined),
  keeper: (k) => (held.some((n) => key(n) === k) || wanted.some((n) => key(n) === k) ? 'dev/other' : undefined),
});

const summary = (r: ReturnType<typeof applyClaims>) => ({
  planned: r.planned.map((c) => `${c.ref.name}:${c.action}${c.action === 'skip' ? ` (${c.reason})` : ''}`),
  refused: r.refused.map((x) => `${x.ref.name}:${x.change} ${x.error?.code ?? ''}`),
});

describe('applyClaims: an object belongs to one bundle', () => {
  it('changes nothing when no other bundle claims anything', () => {
    const planned = [change('a', 'create', true), change('b', 'delete', false)];
    expect(applyClaims(planned, 'dev/mine', undefined, NO_CLAIMS).planned).toEqual(planned);
  });

  it('refuses to adopt an object another bundle holds and wants, naming that bundle', () => {
    const r = applyClaims(
      [change('a', 'update', true), change('b', 'create', true)],
      'dev/mine',
      undefined,
      other(['a']),
    );
    expect(summary(r)).toEqual({ planned: ['b:create'], refused: ['a:failed OBJECT_HELD'] });
    expect(r.refused[0]?.reason).toMatch(/ConfigMap\/shop\/a belongs to deployment dev\/other on this cluster/);
  });

  it('keeps applying what its own inventory holds (an overlap from before is not made worse)', () => {
    const r = applyClaims([change('a', 'unchanged', true)], 'dev/mine', inventory('a'), other(['a']));
    expect(summary(r)).toEqual({ planned: ['a:unchanged'], refused: [] });
  });

  it('never deletes an object leaving it that another bundle holds or wants: it is forgotten instead', () => {
    const r = applyClaims(
      [change('a', 'delete', false), change('b', 'delete', false), change('c', 'delete', false)],
      'dev/mine',
      inventory('a', 'b', 'c'),
      other(['a'], ['a', 'b']),
    );
    expect(summary(r).planned).toEqual([
      'a:skip (left the bundle; kept: deployment dev/other holds it)',
      'b:skip (left the bundle; kept: deployment dev/other holds it)',
      'c:delete',
    ]);
  });

  it('a skipped removal stays skipped (its own reason)', () => {
    const skip = { ...change('a', 'skip', false), reason: 'left the bundle; pruning is off' };
    expect(applyClaims([skip], 'dev/mine', inventory('a'), other(['a'])).planned).toEqual([skip]);
  });
});
