// gRPC over HTTP/2, the parts that are plain functions: length-prefixed messages, timeouts, status
// messages. See https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md (facts, not code).
import { gunzipSync, inflateSync } from 'node:zlib';

/** gRPC status codes used at this edge (the numbers are the protocol's). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface GrpcStatus {
  code: number;
  details: string;
}

/** A failure that is already a gRPC status (framing, size, encoding): sent as it is. */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    details: string,
  ) {
    super(details);
  }
}

/** One message as it goes on the wire: flag 0 (not compressed), 4-byte big-endian length, bytes. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * Splits a request stream's DATA chunks into messages. A chunk usually holds exactly one whole
 * message (what a client writes at once): then no copy is made.
 */
export class MessageReader {
  private pending: Buffer | undefined;

  constructor(
    private readonly maxBytes: number,
    /** The request's grpc-encoding; a message with its compressed flag set is inflated with it. */
    private readonly encoding = 'identity',
  ) {}

  /** Hands `onMessage` each message completed by `chunk`; throws GrpcStatusError on a bad or oversized frame. */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let off = 0;
    while (buf.length - off >= 5) {
      const flag = buf[off]!;
      const len = buf.readUInt32BE(off + 1);
      if (len > this.maxBytes) {
        throw new GrpcStatusError(
          Code.RESOURCE_EXHAUSTED,
          `received a message of ${len} bytes, larger than the limit of ${this.maxBytes}`,
        );
      }
      if (buf.length - off - 5 < len) break;
      const body = buf.subarray(off + 5, off + 5 + len);
      off += 5 + len;
      onMessage(flag === 0 ? body : this.inflate(flag, body));
    }
    if (off < buf.length) this.pending = buf.subarray(off);
  }

  /** Bytes of a message begun and not finished (the stream must not end here). */
  get partial(): number {
    return this.pending?.length ?? 0;
  }

  private inflate(flag: number, body: Buffer): Buffer {
    if (flag !== 1) throw new GrpcStatusError(Code.INTERNAL, `bad message flag ${flag} (want 0 or 1)`);
    const o = { maxOutputLength: this.maxBytes };
    try {
      if (this.encoding === 'gzip') return gunzipSync(body, o);
      if (this.encoding === 'deflate') return inflateSync(body, o);
    } catch (err) {
      throw new GrpcStatusError(
        Code.RESOURCE_EXHAUSTED,
        `could not decompress a ${this.encoding} message (corrupt, or larger than ${this.maxBytes} bytes): ${(err as Error).message}`,
      );
    }
    throw new GrpcStatusError(
      Code.UNIMPLEMENTED,
      `message compressed with "${this.encoding}"; this hub accepts identity, gzip and deflate`,
    );
  }
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** The grpc-timeout header in milliseconds; undefined when absent or malformed (then no deadline). */
export function parseTimeout(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(header);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/** grpc-message: percent-encoded UTF-8, every byte outside printable ASCII (and '%') escaped. */
export function encodeStatusMessage(details: string): string {
  let out = '';
  for (const b of Buffer.from(details, 'utf8')) {
    out +=
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
