import { BundleState as BundleStateEnum, type BundleState__Output } from './gen/flotilla/v1/BundleState.js';

/**
 * The vocabulary of bundle states, defined once for the proto, the database, the API and the CLI.
 * Listed from best to worst: in a roll-up the worst state wins.
 */
export const BUNDLE_STATES = [
  'Ready',
  'NotReady',
  'Pending',
  'OutOfSync',
  'Modified',
  'WaitApplied',
  'ErrApplied',
] as const;
export type BundleStateName = (typeof BUNDLE_STATES)[number];

const WIRE: Record<BundleStateName, BundleState__Output> = {
  Ready: BundleStateEnum.BUNDLE_STATE_READY,
  NotReady: BundleStateEnum.BUNDLE_STATE_NOT_READY,
  Pending: BundleStateEnum.BUNDLE_STATE_PENDING,
  OutOfSync: BundleStateEnum.BUNDLE_STATE_OUT_OF_SYNC,
  Modified: BundleStateEnum.BUNDLE_STATE_MODIFIED,
  WaitApplied: BundleStateEnum.BUNDLE_STATE_WAIT_APPLIED,
  ErrApplied: BundleStateEnum.BUNDLE_STATE_ERR_APPLIED,
};

export function toWireState(state: BundleStateName): BundleState__Output {
  return WIRE[state];
}

/**
 * Wire states that settle a rollout (it reached its goal, or failed to apply): the hub records the
 * rollout's outcome from the first of them, so neither side coalesces that one away.
 */
export const SETTLING_WIRE_STATES: ReadonlySet<unknown> = new Set([WIRE.Ready, WIRE.ErrApplied]);

const FROM_WIRE: ReadonlyMap<unknown, BundleStateName> = new Map(
  (Object.keys(WIRE) as BundleStateName[]).map((k) => [WIRE[k], k]),
);

/** Maps a wire value back; an unspecified or unknown value is Pending (nothing reported yet). */
export function fromWireState(wire: BundleState__Output | string): BundleStateName {
  return FROM_WIRE.get(wire) ?? 'Pending';
}

/** The worst of several states; Ready when there are none. */
export function worstState(states: Iterable<BundleStateName>): BundleStateName {
  let worst = 0;
  for (const s of states) worst = Math.max(worst, BUNDLE_STATES.indexOf(s));
  return BUNDLE_STATES[worst] ?? 'Ready';
}
