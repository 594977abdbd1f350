import { FlotillaError } from '@flotilla/proto';
import { formatRef, type ObjectRef } from './objects.js';

/** What the apiserver said: its HTTP status, reason and own message. */
export interface ApiStatus {
  code: number;
  reason: string;
  message: string;
  causes: { reason?: string; message?: string; field?: string }[];
}

/** The apiserver refused or failed a request; `status` carries its own words. */
export class KubeApiError extends FlotillaError {
  readonly code = 'KUBE_API';
  constructor(
    readonly what: string,
    readonly status: ApiStatus,
    options?: { cause?: unknown },
  ) {
    super(`${what}: ${status.message} (HTTP ${status.code}${status.reason ? ` ${status.reason}` : ''})`, options);
  }
}

/** The apiserver could not be reached in time (connection refused, reset, timed out) after retries. */
export class KubeUnreachableError extends FlotillaError {
  readonly code = 'KUBE_UNREACHABLE';
}

export class KubeconfigError extends FlotillaError {
  readonly code = 'KUBECONFIG';
}

/** No API resource serves this apiVersion and kind (a missing CRD, a typo, a removed version). */
export class UnknownKindError extends FlotillaError {
  readonly code = 'UNKNOWN_KIND';
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`the cluster serves no kind ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`);
  }
}

/** A bundle object Flotilla refuses before sending it (no name, no kind, generateName...). */
export class InvalidObjectError extends FlotillaError {
  readonly code = 'INVALID_OBJECT';
}

/** Failure to apply one object; names it and carries the apiserver's message. */
export class ApplyError extends FlotillaError {
  readonly code: 'APPLY_FAILED' | 'APPLY_CONFLICT';
  constructor(
    readonly ref: ObjectRef,
    /** The apiserver's own message. */
    readonly detail: string,
    options?: { cause?: unknown; conflict?: boolean },
  ) {
    super(`${formatRef(ref)}: ${detail}`, options);
    this.code = options?.conflict ? 'APPLY_CONFLICT' : 'APPLY_FAILED';
  }
}

export class PruneError extends FlotillaError {
  readonly code = 'PRUNE_FAILED';
  constructor(
    readonly ref: ObjectRef,
    /** The apiserver's own message. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${formatRef(ref)}: ${detail}`, options);
  }
}

/** A bundle asks for an object another bundle on this cluster holds (in its inventory): not taken. */
export class ObjectHeldError extends FlotillaError {
  readonly code = 'OBJECT_HELD';
  constructor(
    readonly ref: ObjectRef,
    /** The deployment that holds it (environment/target). */
    readonly holder: string,
  ) {
    super(
      `${formatRef(ref)} belongs to deployment ${holder} on this cluster (its inventory holds it): not adopted. ` +
        'An object belongs to one target on a cluster: remove it from one of the two targets, or remove one target',
    );
  }
}

export class InventoryError extends FlotillaError {
  readonly code = 'INVENTORY';
}

/** A manifest file that cannot be read or parsed; the message names the file and line. */
export class ManifestError extends FlotillaError {
  readonly code = 'MANIFEST';
}

export class WaitTimeoutError extends FlotillaError {
  readonly code = 'WAIT_TIMEOUT';
}

/** The apiserver's message of any error, for reports; a non-Flotilla error keeps its own message. */
export function messageOf(err: unknown): string {
  if (err instanceof KubeApiError) return err.status.message;
  if (err instanceof ApplyError || err instanceof PruneError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}
