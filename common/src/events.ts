/**
 * The kinds of event the hub records, defined once for the hub's store, its API and `fleet events`.
 * Not a CHECK in the hub's schema: adding a kind must not need a table rebuild, and an older hub
 * reading a newer store's events should still list them.
 */
export const EVENT_KINDS = [
  'CommitSeen',
  'FetchFailed',
  'BranchDeleted',
  'BundleRendered',
  'RenderFailed',
  'TargetOverlap',
  'TargetRemoved',
  'PlaintextSecret',
  'Applied',
  'RetryRequested',
  'DriftDetected',
  'DriftCorrected',
  'Promotion',
  'Rollback',
  'ClusterRegistered',
  'ClusterRevoked',
  'AuthFailed',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export function isEventKind(kind: string): kind is EventKind {
  return (EVENT_KINDS as readonly string[]).includes(kind);
}
