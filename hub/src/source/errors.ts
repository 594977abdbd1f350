import { FlotillaError } from '@flotilla/proto';

/** The remote could not be reached (refused, DNS, timeout, server error). What is deployed stays. */
export class SourceUnreachableError extends FlotillaError {
  readonly code = 'SOURCE_UNREACHABLE';
}

/** The remote refused the repo's credentials. */
export class SourceAuthError extends FlotillaError {
  readonly code = 'SOURCE_AUTH';
}

/** The repository or a ref does not exist. */
export class SourceNotFoundError extends FlotillaError {
  readonly code = 'SOURCE_NOT_FOUND';
}

/** A path that would leave the repository (`..`, absolute). */
export class SourcePathError extends FlotillaError {
  readonly code = 'SOURCE_PATH';
}

/** The remote refused a push (the branch moved meanwhile, or the hub may not push there). */
export class SourcePushRejectedError extends FlotillaError {
  readonly code = 'SOURCE_PUSH_REJECTED';
}

interface GitErrorShape {
  code?: string;
  data?: { statusCode?: number; statusMessage?: string };
  message?: string;
}

/** Turns what isomorphic-git or the socket threw into one of our errors, naming the repo. */
export function classifyGitError(err: unknown, repo: string, url: string): FlotillaError {
  const e = (err ?? {}) as GitErrorShape;
  // We cancel after the server refused the credentials once (onAuthFailure), rather than loop.
  const status = e.code === 'UserCanceledError' ? 401 : e.data?.statusCode;
  const what = `repo ${repo} (${url})`;
  if (status === 401 || status === 403) {
    return new SourceAuthError(
      `${what}: the server refused the credentials (HTTP ${status}); check the repo's username, password or token`,
      {
        cause: err,
      },
    );
  }
  if (e.code === 'NotFoundError' && /Could not find HEAD/.test(e.message ?? '')) {
    return new SourceNotFoundError(
      `${what}: the remote's default branch (HEAD) names a branch that does not exist; ` +
        "set the repository's default branch to an existing one",
      { cause: err },
    );
  }
  if (status === 404 || e.code === 'NotFoundError') {
    return new SourceNotFoundError(`${what}: not found (${e.message ?? 'HTTP 404'}); check the URL`, { cause: err });
  }
  const detail = status ? `HTTP ${status} ${e.data?.statusMessage ?? ''}`.trim() : (e.message ?? String(err));
  return new SourceUnreachableError(`${what}: cannot fetch (${detail}); the last fetched commit stays in use`, {
    cause: err,
  });
}
