import { FlotillaError } from '@flotilla/proto';

const KiB = 1024;

/** A request larger than its method takes; refused before it is read further (or, over NATS, decoded). */
export class RequestTooLargeError extends FlotillaError {
  readonly code = 'REQUEST_TOO_LARGE';
}

/** Register's request, over gRPC and over NATS. */
export const REGISTER_MAX_BYTES = 8 * KiB;

/**
 * The largest request message of each gRPC method, in bytes, refused from its length prefix before
 * anything is buffered. Register, RenewClientCertificate and FetchBundle read their request before
 * their handler authenticates the caller, so they take what they need and no more:
 * - Register: a token (49 bytes), a cluster name (at most 253), two versions, a retry key (43) and a
 *   CSR for the agent's P-256 key (about 600 bytes): under 1.5 KiB (see the test); 8 KiB leaves room
 *   for a dozen labels of Kubernetes' largest size. At 4 MiB, like the rest, anyone could make the hub
 *   hold 4 MiB per stream (issue #18, finding 6).
 * - RenewClientCertificate: a CSR, as above.
 * - FetchBundle: a digest (71 bytes) and an offset.
 * - Connect (authenticated when it opens): status and drift reports listing up to thousands of objects.
 */
export const MAX_REQUEST_BYTES: Readonly<Record<string, number>> = {
  '/flotilla.v1.Registration/Register': REGISTER_MAX_BYTES,
  '/flotilla.v1.Registration/RenewClientCertificate': 8 * KiB,
  '/flotilla.v1.AgentService/FetchBundle': 1 * KiB,
  '/flotilla.v1.AgentService/Connect': 4 * 1024 * KiB,
};

/** The limit of a method the hub serves; a method missing from the table is a programming error. */
export function maxRequestBytes(path: string): number {
  const max = MAX_REQUEST_BYTES[path];
  if (max === undefined) throw new Error(`gRPC method ${path} has no request size limit in request-limits.ts`);
  return max;
}

/** Refuses a NATS registration request over REGISTER_MAX_BYTES, before it is decoded. */
export function checkRegisterSize(bytes: number): void {
  if (bytes > REGISTER_MAX_BYTES) {
    throw new RequestTooLargeError(
      `a registration request of ${bytes} bytes is larger than the limit of ${REGISTER_MAX_BYTES}; it holds a token, a cluster name, versions and a CSR`,
    );
  }
}
