import type { DeploymentStatus__Output, ObjectStatus__Output } from '@flotilla/proto';
import { NOT_READY_LISTED } from '@flotilla/proto/api';
import { describe, expect, it } from 'vitest';
import { OBJECT_MESSAGE_MAX, summarizeObjects } from './objects.js';

const obj = (
  name: string,
  health: ObjectStatus__Output['health'],
  change: ObjectStatus__Output['change'] = 'OBJECT_CHANGE_UNCHANGED',
  message = '',
  state: ObjectStatus__Output['state'] = 'BUNDLE_STATE_UNSPECIFIED',
  namespace = 'shop',
): ObjectStatus__Output => ({
  object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name },
  change,
  health,
  message,
  state,
});
type Counted = Pick<DeploymentStatus__Output, 'objects' | 'objectsTotal' | 'objectsReady'>;
/** As an agent of this build sends them: counts, and only the objects not ready. */
const counted = (objectsTotal: number, objectsReady: number, objects: ObjectStatus__Output[] = []): Counted => ({
  objects,
  objectsTotal,
  objectsReady,
});
/** As a sender that counts nothing sends them: every object listed. */
const listed = (objects: ObjectStatus__Output[]): Counted => ({ objects, objectsTotal: 0, objectsReady: 0 });

describe('summarizeObjects', () => {
  it('takes the counts as sent: a healthy bundle of any size lists nothing', () => {
    expect(summarizeObjects(counted(500, 500))).toStrictEqual({ total: 500, ready: 500, notReady: [] });
    expect(summarizeObjects(counted(0, 0))).toStrictEqual({ total: 0, ready: 0, notReady: [] });
  });

  it('lists the objects not ready, worst state first, in the sender order within a state', () => {
    const s = summarizeObjects(
      counted(9, 4, [
        obj(
          'rolling',
          'OBJECT_HEALTH_IN_PROGRESS',
          'OBJECT_CHANGE_CONFIGURED',
          'Available: 1/3',
          'BUNDLE_STATE_NOT_READY',
        ),
        obj('edited', 'OBJECT_HEALTH_READY', 'OBJECT_CHANGE_SKIPPED', 'drift: /spec/replicas', 'BUNDLE_STATE_MODIFIED'),
        obj(
          'refused',
          'OBJECT_HEALTH_UNKNOWN',
          'OBJECT_CHANGE_FAILED',
          'field is immutable',
          'BUNDLE_STATE_ERR_APPLIED',
        ),
        obj('rolling-2', 'OBJECT_HEALTH_IN_PROGRESS', 'OBJECT_CHANGE_CONFIGURED', '', 'BUNDLE_STATE_NOT_READY', ''),
        obj('new', 'OBJECT_HEALTH_UNKNOWN', 'OBJECT_CHANGE_CREATED', '', 'BUNDLE_STATE_PENDING'),
      ]),
    );
    expect(s).toMatchObject({ total: 9, ready: 4 });
    expect(s.notReady.map((o) => [o.name, o.state, o.health, o.change])).toEqual([
      ['refused', 'ErrApplied', 'Unknown', 'failed'],
      ['edited', 'Modified', 'Ready', 'skipped'],
      ['new', 'Pending', 'Unknown', 'created'],
      ['rolling', 'NotReady', 'InProgress', 'configured'],
      ['rolling-2', 'NotReady', 'InProgress', 'configured'],
    ]);
    expect(s.notReady[0]).toStrictEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'refused',
      state: 'ErrApplied',
      health: 'Unknown',
      change: 'failed',
      message: 'field is immutable',
    });
    // A cluster-scoped object names no namespace.
    expect(s.notReady[4]).not.toHaveProperty('namespace');
  });

  it('from a sender that counts nothing: counts the list, and reads each state from apply and health', () => {
    const s = summarizeObjects(
      listed([
        obj('ok', 'OBJECT_HEALTH_READY'),
        obj('unknown', 'OBJECT_HEALTH_UNKNOWN'),
        obj('crashing', 'OBJECT_HEALTH_FAILED', 'OBJECT_CHANGE_UNCHANGED', 'CrashLoopBackOff'),
        obj('refused', 'OBJECT_HEALTH_READY', 'OBJECT_CHANGE_FAILED', 'field is immutable'),
        // Deleted has left the bundle: done, whatever health says.
        obj('gone', 'OBJECT_HEALTH_UNKNOWN', 'OBJECT_CHANGE_DELETED'),
      ]),
    );
    expect(s).toMatchObject({ total: 5, ready: 2 });
    expect(s.notReady.map((o) => [o.name, o.state])).toEqual([
      ['refused', 'ErrApplied'],
      ['unknown', 'Pending'],
      ['crashing', 'NotReady'],
    ]);
  });

  it(`keeps at most ${NOT_READY_LISTED} and cuts long messages; the counts still say how many`, () => {
    const many = Array.from({ length: 25 }, (_, i) =>
      obj(
        `o-${i}`,
        'OBJECT_HEALTH_IN_PROGRESS',
        'OBJECT_CHANGE_CONFIGURED',
        'x'.repeat(5000),
        'BUNDLE_STATE_NOT_READY',
      ),
    );
    const s = summarizeObjects(counted(40, 15, many));
    expect(s).toMatchObject({ total: 40, ready: 15 });
    expect(s.notReady).toHaveLength(NOT_READY_LISTED);
    expect(s.notReady.map((o) => o.name)).toEqual(many.slice(0, NOT_READY_LISTED).map((o) => o.object?.name));
    expect(s.notReady[0]?.message).toHaveLength(OBJECT_MESSAGE_MAX);
    expect(s.notReady[0]?.message.endsWith('…')).toBe(true);
  });

  it('holds counts that cannot be true to what the list shows', () => {
    const two = [obj('a', 'OBJECT_HEALTH_IN_PROGRESS'), obj('b', 'OBJECT_HEALTH_IN_PROGRESS')];
    expect(summarizeObjects(counted(1, 1, two))).toMatchObject({ total: 2, ready: 0 });
    expect(summarizeObjects(counted(3, 5, two))).toMatchObject({ total: 3, ready: 1 });
  });

  it('reads an unspecified or unknown enum value as Unknown, and a missing reference as empty names', () => {
    const unknown = 9 as unknown as ObjectStatus__Output['change'];
    const s = summarizeObjects(
      listed([
        {
          object: null,
          change: 'OBJECT_CHANGE_UNSPECIFIED',
          health: 'OBJECT_HEALTH_UNSPECIFIED',
          message: '',
          state: 'BUNDLE_STATE_UNSPECIFIED',
        },
        {
          object: null,
          change: unknown,
          health: 7 as unknown as ObjectStatus__Output['health'],
          message: '',
          state: 'BUNDLE_STATE_UNSPECIFIED',
        },
      ]),
    );
    expect(s.notReady).toStrictEqual([
      { apiVersion: '', kind: '', name: '', state: 'Pending', health: 'Unknown', change: 'unknown', message: '' },
      { apiVersion: '', kind: '', name: '', state: 'NotReady', health: 'Unknown', change: 'unknown', message: '' },
    ]);
  });
});
