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
 * Bytes a server holds in messages begun and not finished, across all the calls that share it: taken
 * as a message's buffer grows, given back when the message is delivered or its call ends. A call that
 * would go over the limit fails; nothing waits.
 */
export class ByteBudget {
  private used = 0;

  constructor(
    readonly limit: number,
    /** Whose messages, for the error: "of callers not yet authenticated". */
    private readonly whose: string,
  ) {}

  get held(): number {
    return this.used;
  }

  take(n: number): void {
    if (this.used + n > this.limit) {
      throw new GrpcStatusError(
        Code.RESOURCE_EXHAUSTED,
        `the hub is holding ${this.used} bytes of unfinished messages ${this.whose}, its limit is ${this.limit}; try again later`,
      );
    }
    this.used += n;
  }

  give(n: number): void {
    this.used -= n;
  }
}

export interface MessageReaderOptions {
  /** The largest message body taken; a larger one is refused from its length prefix. */
  maxBytes: number;
  /** The request's grpc-encoding; a message with its compressed flag set is inflated with it. */
  encoding?: string;
  /** Charged for what an unfinished message holds. */
  budget?: ByteBudget;
  /** Named in errors: the method path. */
  what?: string;
}

/** Below this, a message split over chunks gets its whole buffer at once; above, the buffer doubles as bytes arrive. */
const WHOLE_BELOW = 64 * 1024;

/**
 * Splits a request stream's DATA chunks into messages. A chunk usually holds whole messages (what a
 * client writes at once): they are handed over as views, without a copy. A message split over chunks
 * is copied into one buffer of its own as its bytes arrive, so that a large message costs O(n): the
 * chunks node:http2 hands over are views of the connection's read buffer, and holding one would hold
 * that buffer too. The buffer is sized from the length prefix once the prefix has passed the limit,
 * but grows with what has arrived (doubling from 64 KiB) rather than trusting the prefix alone.
 */
export class MessageReader {
  private readonly o: Required<Omit<MessageReaderOptions, 'budget' | 'what'>> & MessageReaderOptions;
  /** A length prefix split over chunks. */
  private head: Buffer | undefined;
  private headLength = 0;
  /** The unfinished message: its flag, announced length, buffer, bytes filled, bytes charged. */
  private flag = 0;
  private need = 0;
  private body: Buffer | undefined;
  private filled = 0;
  private charged = 0;

  constructor(maxBytes: number, encoding?: string);
  constructor(o: MessageReaderOptions);
  constructor(a: number | MessageReaderOptions, encoding = 'identity') {
    this.o = typeof a === 'number' ? { maxBytes: a, encoding } : { encoding: 'identity', ...a };
  }

  /** Hands `onMessage` each message completed by `chunk`; throws GrpcStatusError on a bad or oversized frame. */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let off =
      this.headLength > 0 ? this.continueHead(chunk, onMessage) : this.body ? this.continueBody(chunk, onMessage) : 0;
    while (off < chunk.length) {
      const left = chunk.length - off;
      if (left < 5) {
        this.head ??= Buffer.alloc(5);
        chunk.copy(this.head, 0, off);
        this.headLength = left;
        return;
      }
      const flag = chunk[off]!;
      const len = this.checked(chunk.readUInt32BE(off + 1));
      if (left - 5 < len) {
        this.begin(flag, len, chunk.subarray(off + 5));
        return;
      }
      onMessage(this.open(flag, chunk.subarray(off + 5, off + 5 + len)));
      off += 5 + len;
    }
  }

  /** Bytes of a message begun and not finished (the stream must not end here). */
  get partial(): number {
    return this.headLength + (this.body ? 5 + this.filled : 0);
  }

  /** Bytes held for the unfinished message (its buffer), as charged to the budget. */
  get held(): number {
    return this.charged;
  }

  /** Drops the unfinished message and gives its bytes back: the call is over. */
  discard(): void {
    this.o.budget?.give(this.charged);
    this.charged = 0;
    this.body = undefined;
    this.filled = 0;
    this.headLength = 0;
  }

  private checked(len: number): number {
    if (len > this.o.maxBytes) {
      const what = this.o.what ? ` for ${this.o.what}` : '';
      throw new GrpcStatusError(
        Code.RESOURCE_EXHAUSTED,
        `received a message of ${len} bytes, larger than the limit of ${this.o.maxBytes}${what}`,
      );
    }
    return len;
  }

  /** Completes a prefix split over chunks; returns how much of `chunk` it used. */
  private continueHead(chunk: Buffer, onMessage: (message: Buffer) => void): number {
    const head = this.head!;
    const used = Math.min(5 - this.headLength, chunk.length);
    chunk.copy(head, this.headLength, 0, used);
    this.headLength += used;
    if (this.headLength < 5) return used;
    this.headLength = 0;
    const flag = head[0]!;
    const len = this.checked(head.readUInt32BE(1));
    if (chunk.length - used >= len) {
      onMessage(this.open(flag, chunk.subarray(used, used + len)));
      return used + len;
    }
    this.begin(flag, len, chunk.subarray(used));
    return chunk.length;
  }

  private continueBody(chunk: Buffer, onMessage: (message: Buffer) => void): number {
    const used = Math.min(this.need - this.filled, chunk.length);
    this.append(chunk.subarray(0, used));
    if (this.filled === this.need) {
      const message = this.body!;
      this.discard();
      onMessage(this.open(this.flag, message));
    }
    return used;
  }

  private begin(flag: number, len: number, first: Buffer): void {
    this.flag = flag;
    this.need = len;
    this.filled = 0;
    this.append(first);
  }

  private append(piece: Buffer): void {
    const want = this.filled + piece.length;
    if (!this.body || want > this.body.length) {
      const size =
        this.need <= WHOLE_BELOW
          ? this.need
          : Math.min(this.need, Math.max(want, 2 * (this.body?.length ?? WHOLE_BELOW / 2)));
      this.o.budget?.take(size - this.charged);
      const grown = Buffer.allocUnsafeSlow(size);
      this.body?.copy(grown, 0, 0, this.filled);
      this.body = grown;
      this.charged = size;
    }
    piece.copy(this.body, this.filled);
    this.filled = want;
  }

  private open(flag: number, body: Buffer): Buffer {
    return flag === 0 ? body : this.inflate(flag, body);
  }

  private inflate(flag: number, body: Buffer): Buffer {
    if (flag !== 1) throw new GrpcStatusError(Code.INTERNAL, `bad message flag ${flag} (want 0 or 1)`);
    const { maxBytes, encoding } = this.o;
    const o = { maxOutputLength: maxBytes };
    try {
      if (encoding === 'gzip') return gunzipSync(body, o);
      if (encoding === 'deflate') return inflateSync(body, o);
    } catch (err) {
      throw new GrpcStatusError(
        Code.RESOURCE_EXHAUSTED,
        `could not decompress a ${encoding} message (corrupt, or larger than ${maxBytes} bytes): ${(err as Error).message}`,
      );
    }
    throw new GrpcStatusError(
      Code.UNIMPLEMENTED,
      `message compressed with "${encoding}"; this hub accepts identity, gzip and deflate`,
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
