// Original file: flotilla/v1/agent.proto

/**
 * Ranked: in a roll-up the worst state wins (ERR_APPLIED is the worst, READY the best).
 */
export const BundleState = {
  BUNDLE_STATE_UNSPECIFIED: 'BUNDLE_STATE_UNSPECIFIED',
  BUNDLE_STATE_READY: 'BUNDLE_STATE_READY',
  BUNDLE_STATE_NOT_READY: 'BUNDLE_STATE_NOT_READY',
  BUNDLE_STATE_PENDING: 'BUNDLE_STATE_PENDING',
  BUNDLE_STATE_OUT_OF_SYNC: 'BUNDLE_STATE_OUT_OF_SYNC',
  BUNDLE_STATE_MODIFIED: 'BUNDLE_STATE_MODIFIED',
  BUNDLE_STATE_WAIT_APPLIED: 'BUNDLE_STATE_WAIT_APPLIED',
  BUNDLE_STATE_ERR_APPLIED: 'BUNDLE_STATE_ERR_APPLIED',
} as const;

/**
 * Ranked: in a roll-up the worst state wins (ERR_APPLIED is the worst, READY the best).
 */
export type BundleState =
  | 'BUNDLE_STATE_UNSPECIFIED'
  | 0
  | 'BUNDLE_STATE_READY'
  | 1
  | 'BUNDLE_STATE_NOT_READY'
  | 2
  | 'BUNDLE_STATE_PENDING'
  | 3
  | 'BUNDLE_STATE_OUT_OF_SYNC'
  | 4
  | 'BUNDLE_STATE_MODIFIED'
  | 5
  | 'BUNDLE_STATE_WAIT_APPLIED'
  | 6
  | 'BUNDLE_STATE_ERR_APPLIED'
  | 7

/**
 * Ranked: in a roll-up the worst state wins (ERR_APPLIED is the worst, READY the best).
 */
export type BundleState__Output = typeof BundleState[keyof typeof BundleState]
