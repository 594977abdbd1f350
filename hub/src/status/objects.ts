import {
  BUNDLE_STATES,
  fromWireState,
  type BundleStateName,
  type DeploymentStatus__Output,
  type ObjectStatus__Output,
} from '@flotilla/proto';
import {
  NOT_READY_LISTED,
  type DeploymentObjects,
  type NotReadyObject,
  type ObjectChangeName,
  type ObjectHealthName,
} from '@flotilla/proto/api';

/** A kept message is cut to this many characters: an apiserver's error can run to kilobytes. */
export const OBJECT_MESSAGE_MAX = 1024;

const HEALTH: ReadonlyMap<unknown, ObjectHealthName> = new Map([
  ['OBJECT_HEALTH_READY', 'Ready'],
  ['OBJECT_HEALTH_IN_PROGRESS', 'InProgress'],
  ['OBJECT_HEALTH_FAILED', 'Failed'],
  ['OBJECT_HEALTH_UNKNOWN', 'Unknown'],
]);

const CHANGE: ReadonlyMap<unknown, ObjectChangeName> = new Map([
  ['OBJECT_CHANGE_CREATED', 'created'],
  ['OBJECT_CHANGE_CONFIGURED', 'configured'],
  ['OBJECT_CHANGE_UNCHANGED', 'unchanged'],
  ['OBJECT_CHANGE_DELETED', 'deleted'],
  ['OBJECT_CHANGE_SKIPPED', 'skipped'],
  ['OBJECT_CHANGE_FAILED', 'failed'],
]);

/**
 * The state an object pulls its bundle towards: as the agent says, or, from a sender that does not
 * say, from its apply and health (a deleted object has left the bundle and counts as done).
 */
function stateOf(o: ObjectStatus__Output): BundleStateName {
  // Decoded enums are names; a value this build does not know stays a number.
  const wire: unknown = o.state;
  if (wire !== 'BUNDLE_STATE_UNSPECIFIED' && wire !== 0) return fromWireState(o.state);
  if (o.change === 'OBJECT_CHANGE_FAILED') return 'ErrApplied';
  if (o.change === 'OBJECT_CHANGE_DELETED' || o.health === 'OBJECT_HEALTH_READY') return 'Ready';
  return o.health === 'OBJECT_HEALTH_UNKNOWN' || o.health === 'OBJECT_HEALTH_UNSPECIFIED' ? 'Pending' : 'NotReady';
}

function notReadyObject(o: ObjectStatus__Output, state: BundleStateName): NotReadyObject {
  const ref = o.object;
  const message = o.message.length > OBJECT_MESSAGE_MAX ? `${o.message.slice(0, OBJECT_MESSAGE_MAX - 1)}…` : o.message;
  return {
    apiVersion: ref?.apiVersion ?? '',
    kind: ref?.kind ?? '',
    ...(ref?.namespace ? { namespace: ref.namespace } : {}),
    name: ref?.name ?? '',
    state,
    health: HEALTH.get(o.health) ?? 'Unknown',
    change: CHANGE.get(o.change) ?? 'unknown',
    message,
  };
}

/** Shared by every summary with nothing listed: the store encodes none and never hands it out. */
const NONE = Object.freeze([]) as unknown as NotReadyObject[];

/**
 * The part of an agent's per-object report the hub keeps for a deployment: counts, and the objects
 * that are not ready, worst state first (the sender's order within a state), at most
 * NOT_READY_LISTED. The agent counts every object and lists only those not ready; from a sender
 * that counts none (objectsTotal 0), the list is every object.
 */
export function summarizeObjects(
  s: Pick<DeploymentStatus__Output, 'objects' | 'objectsTotal' | 'objectsReady'>,
): DeploymentObjects {
  const counted = s.objectsTotal > 0;
  // The routine report: a healthy bundle, counted, nothing listed. Nothing to allocate but the result.
  if (s.objects.length === 0) {
    return { total: s.objectsTotal, ready: Math.min(s.objectsReady, s.objectsTotal), notReady: NONE };
  }
  let ready = 0; // counted from the list: only a sender that counts none lists ready objects
  const behind: { o: ObjectStatus__Output; state: BundleStateName; rank: number; i: number }[] = [];
  s.objects.forEach((o, i) => {
    const state = stateOf(o);
    if (state === 'Ready') ready++;
    else behind.push({ o, state, rank: BUNDLE_STATES.indexOf(state), i });
  });
  const notReady = behind
    .sort((a, b) => b.rank - a.rank || a.i - b.i)
    .slice(0, NOT_READY_LISTED)
    .map((b) => notReadyObject(b.o, b.state));
  if (!counted) return { total: s.objects.length, ready, notReady };
  // The counts as sent, held to what can be true: the listed ones are not ready.
  const total = Math.max(s.objectsTotal, behind.length);
  return { total, ready: Math.min(s.objectsReady, total - behind.length), notReady };
}
