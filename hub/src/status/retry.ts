import type { DeploymentStatus__Output } from '@flotilla/proto';
import type { DeploymentRetry } from '../store/index.js';
import { OBJECT_MESSAGE_MAX } from './objects.js';

/** The latest time a Date holds (ms since the epoch): past it, toISOString throws. */
const DATE_MAX_MS = 8.64e15;

/**
 * The retry of a failed apply that a status reports, as the hub keeps it; undefined when none is
 * scheduled. An agent's report is untrusted input: a time no Date can hold is no retry, and the
 * reason is cut like an object's message.
 */
export function retryOf(
  s: Pick<DeploymentStatus__Output, 'retryAttempt' | 'retryAtUnixMs' | 'retryReason'>,
): DeploymentRetry | undefined {
  const at = Number(s.retryAtUnixMs ?? 0);
  if (!Number.isFinite(at) || at <= 0 || at > DATE_MAX_MS) return undefined;
  const reason = s.retryReason ?? '';
  return {
    attempt: s.retryAttempt ?? 0,
    at: new Date(at).toISOString(),
    reason: reason.length > OBJECT_MESSAGE_MAX ? `${reason.slice(0, OBJECT_MESSAGE_MAX - 1)}…` : reason,
  };
}
