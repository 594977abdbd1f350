import type { ApiError } from '@flotilla/proto/api';

/**
 * The `fleet` exit codes, defined once: the commands, the reference docs and the tests read them here.
 * Scripts can branch on them without parsing messages.
 */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'success' },
  error: { code: 1, meaning: 'error: the hub is unreachable, failed, or Git refused (HTTP 5xx)' },
  usage: { code: 2, meaning: 'usage: a bad flag or argument, or input the hub found invalid (HTTP 400)' },
  notFound: { code: 3, meaning: 'not found: no such cluster, group, repo, environment, target, bundle or token (404)' },
  unauthorized: { code: 4, meaning: 'refused: no token, a bad or expired token, or a role too low (HTTP 401/403)' },
  conflict: {
    code: 5,
    meaning: 'conflict: it already exists, a promotion conflicts, or a precondition such as health fails (409/412)',
  },
  notReady: {
    code: 6,
    meaning: 'not ready: `status --exit-status` saw a state other than Ready, or `--wait` timed out',
  },
} as const;
export type ExitName = keyof typeof EXIT_CODES;

/** The base of every error the CLI reports itself: a stable code, an exit code and what to do. */
export abstract class FleetError extends Error {
  abstract readonly code: string;
  abstract readonly exit: ExitName;
  readonly hint: string | undefined;

  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
  }

  toJSON(): ApiError {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** The hub answered with an ApiError. */
export class HubError extends FleetError {
  readonly code: string;
  readonly exit: ExitName;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, body: ApiError) {
    super(body.message, body.hint ? { hint: body.hint } : {});
    this.code = body.code;
    this.status = status;
    this.details = body.details;
    this.exit = exitForStatus(status);
  }

  override toJSON(): ApiError {
    return { ...super.toJSON(), ...(this.details ? { details: this.details } : {}) };
  }
}

export function exitForStatus(status: number): ExitName {
  if (status === 400 || status === 422) return 'usage';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'notFound';
  if (status === 409 || status === 412) return 'conflict';
  return 'error';
}

/** No connection to the hub at all (refused, DNS, TLS, timeout). */
export class HubUnreachableError extends FleetError {
  readonly code = 'HUB_UNREACHABLE';
  readonly exit = 'error';
}

/** The hub's certificate is not one this CLI trusts, or does not match the pin it was given. */
export class HubTrustError extends FleetError {
  readonly code = 'HUB_UNTRUSTED';
  readonly exit = 'error';
}

/** A token would cross the network in clear text: plain HTTP to a hub that is not on loopback. */
export class PlaintextRefusedError extends FleetError {
  readonly code = 'PLAINTEXT_REFUSED';
  readonly exit = 'usage';
}

/** The hub (or something in front of it) answered with something that is not the API. */
export class HubProtocolError extends FleetError {
  readonly code = 'HUB_PROTOCOL';
  readonly exit = 'error';
}

/** No hub URL known: neither `fleet login`, nor FLOTILLA_HUB_URL. */
export class NotLoggedInError extends FleetError {
  readonly code = 'NOT_LOGGED_IN';
  readonly exit = 'unauthorized';
}

/** The local configuration file cannot be read or is malformed. */
export class ConfigFileError extends FleetError {
  readonly code = 'CONFIG';
  readonly exit = 'error';
}

/** A flag or argument the parser accepted but whose value is wrong (`--label foo`, `--timeout 5x`). */
export class UsageError extends FleetError {
  readonly code = 'USAGE';
  readonly exit = 'usage';
}

/** A `--wait` deadline passed, or `status --exit-status` saw something not Ready. */
export class NotReadyError extends FleetError {
  readonly code = 'NOT_READY';
  readonly exit = 'notReady';
}

/** Installing an agent into a cluster failed (kubeconfig, context, apply). */
export class KubeError extends FleetError {
  readonly code = 'KUBE';
  readonly exit = 'error';
}
