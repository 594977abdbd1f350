// The hub's gRPC endpoint on node:http2 directly. Measured reason (test/bench/RESULTS.md, session 8):
// grpc-js's server spends, per message received on a stream, a pause and a resume of the HTTP/2
// stream, a promise for decompression (even uncompressed) and an object-mode Readable push: about
// 9 µs of the hub's ~50 µs per status message on 1,000 TLS streams. Here a DATA chunk is decoded and
// handed over synchronously. Agents still use grpc-js as the client; the wire is standard gRPC.
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseHostPort } from '@flotilla/common';
import {
  ByteBudget,
  Code,
  encodeStatusMessage,
  frame,
  GrpcStatusError,
  MessageReader,
  parseTimeout,
  type GrpcStatus,
} from './frames.js';
import { DEFAULT_H2_LIMITS, type H2Limits } from './limits.js';
import { Sessions } from './sessions.js';

/** What a handler sees of its call: request headers (metadata), the TLS peer, cancellation. */
export interface CallContext {
  readonly path: string;
  header(name: string): string | undefined;
  /** The verified client certificate, grpc-js style (see hub-tls `PeerCall`). */
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
  readonly cancelled: boolean;
}

export interface Writer<T> {
  /** Sends a message; resolves when the stream can take more (HTTP/2 flow control), or is gone. */
  write(message: T): Promise<void>;
  /**
   * Sends a message already encoded and framed (`frame()`), as `write` does: for one answer sent
   * to many callers, encoded once. The buffer is not changed and may be sent on other calls too.
   */
  writeFramed(framed: Buffer): Promise<void>;
}

export interface BidiWriter<T> extends Writer<T> {
  /** Ends the call with OK. */
  end(): void;
  /** Ends the call with this status. */
  fail(status: GrpcStatus): void;
}

/** Callbacks of a bidirectional call, returned by its handler. */
export interface BidiListener<Req> {
  message(m: Req): void;
  /** The client half-closed. */
  end?(): void;
  /** The stream is gone, for whatever reason (ended, cancelled, reset, shut down). Called once. */
  close?(): void;
}

interface Codec<Req, Res> {
  decode(b: Buffer): Req;
  encode(m: Res): Uint8Array;
}

export type Method<Req = never, Res = never> = Codec<Req, Res> &
  (
    | { kind: 'unary'; handle(req: Req, ctx: CallContext): Res | Promise<Res> }
    | { kind: 'serverStream'; handle(req: Req, ctx: CallContext, out: Writer<Res>): Promise<void> }
    | { kind: 'bidi'; handle(ctx: CallContext, out: BidiWriter<Res>): BidiListener<Req> }
  );

/** TLS material that can change under a running server (a renewed certificate). */
export interface TlsSource {
  options(): { key: string; cert: string; ca?: string };
  onChange(listener: () => void): void;
}

export interface H2GrpcServerOptions {
  tls?: TlsSource;
  /** Maps a handler's error to the status the client gets. */
  toStatus(err: unknown): GrpcStatus;
  /** The largest request message of a method added without its own limit (default 4 MiB). */
  maxReceiveBytes?: number;
  /** What peers may make the server hold; see H2Limits for each default. */
  limits?: Partial<H2Limits>;
}

/** What the server holds now (for tests and metrics). */
export interface H2Stats {
  connections: number;
  unauthenticatedConnections: number;
  calls: number;
  bufferedBytes: number;
  unauthenticatedBufferedBytes: number;
}

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc+proto' } as const;

export class H2GrpcServer {
  private readonly methods = new Map<string, { method: Method<unknown, unknown>; maxRequestBytes: number }>();
  private readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly calls = new Set<Call>();
  private readonly maxReceive: number;
  readonly limits: H2Limits;
  private readonly sessions: Sessions;
  /** Unfinished messages of calls a handler has accepted (bidirectional ones). */
  private readonly budget: ByteBudget;
  /** Unfinished requests of calls no handler has seen yet: their callers are anonymous so far. */
  private readonly anonymousBudget: ByteBudget;

  constructor(private readonly o: H2GrpcServerOptions) {
    this.maxReceive = o.maxReceiveBytes ?? 4 * 1024 * 1024;
    const limits = { ...DEFAULT_H2_LIMITS, ...o.limits };
    this.limits = limits;
    this.sessions = new Sessions(limits);
    this.budget = new ByteBudget(limits.maxBufferedBytes, 'of open calls');
    this.anonymousBudget = new ByteBudget(limits.maxUnauthenticatedBufferedBytes, 'of callers not yet authenticated');
    const common = {
      maxSessionMemory: limits.maxSessionMemoryMiB,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams },
    };
    if (o.tls) {
      const tls = o.tls;
      const secure = () => {
        const t = tls.options();
        // A client certificate is asked for, not demanded: registration works without one; the agent
        // streams demand one (hub-tls checkPeer), and only a verified one counts (getAuthContext).
        return {
          key: t.key,
          cert: t.cert,
          ...(t.ca ? { ca: t.ca, requestCert: true } : {}),
          rejectUnauthorized: false,
        };
      };
      const server = http2.createSecureServer({ ...common, handshakeTimeout: limits.handshakeTimeoutMs, ...secure() });
      tls.onChange(() => server.setSecureContext(secure()));
      this.server = server;
    } else {
      this.server = http2.createServer(common);
    }
    this.server.maxConnections = limits.maxConnections;
    // Before the server's own listener: a connection is counted before its HTTP/2 session exists.
    this.server.prependListener('connection', (socket: Socket) => this.sessions.accept(socket));
    this.server.on('session', (s) => this.sessions.add(s));
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  /** Serves `method` at `path`; its request messages may be at most `maxRequestBytes` (default maxReceiveBytes). */
  add<Req, Res>(path: string, method: Method<Req, Res>, maxRequestBytes = this.maxReceive): void {
    this.methods.set(path, { method: method as unknown as Method<unknown, unknown>, maxRequestBytes });
  }

  stats(): H2Stats {
    return {
      connections: this.sessions.size,
      unauthenticatedConnections: this.sessions.unauthenticated,
      calls: this.calls.size,
      bufferedBytes: this.budget.held,
      unauthenticatedBufferedBytes: this.anonymousBudget.held,
    };
  }

  /** Listens on host:port (port 0 picks one); resolves with the port. */
  listen(address: string): Promise<number> {
    const parsed = parseHostPort(address);
    if (!parsed) return Promise.reject(new Error(`gRPC listen address "${address}" is not host:port`));
    const { host, port } = parsed;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      // A fleet dials back at once after a hub restart: Node's default backlog (511) overflowed with
      // 10,000 agents (refused dials, retried with backoff). The kernel caps it at somaxconn.
      this.server.listen({ host: host || undefined, port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops: no new connections; open calls end with UNAVAILABLE (agents reconnect at once), then every
   * connection gets a GOAWAY; those still open after `graceMs` are closed.
   */
  stop(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.sessions.all()) s.destroy();
      }, graceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const c of [...this.calls]) c.finish({ code: Code.UNAVAILABLE, details: 'the hub is shutting down' });
      for (const s of this.sessions.all()) s.close();
    });
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined); // reset by the peer: 'close' follows
    if (!this.sessions.opened(stream)) return;
    const path = String(headers[':path'] ?? '');
    const type = String(headers['content-type'] ?? '');
    if (headers[':method'] !== 'POST' || !type.startsWith('application/grpc')) {
      // Not gRPC at all: an HTTP answer, as the protocol asks.
      stream.respond({ ':status': headers[':method'] === 'POST' ? 415 : 405 }, { endStream: true });
      return;
    }
    const call = new Call(stream, headers, path, this.calls);
    const served = this.methods.get(path);
    if (!served) {
      call.finish({ code: Code.UNIMPLEMENTED, details: `method ${path} is not served by this hub` });
      return;
    }
    const { method, maxRequestBytes } = served;
    const reader = new MessageReader({
      maxBytes: maxRequestBytes,
      encoding: String(headers['grpc-encoding'] ?? 'identity'),
      // A bidirectional call's handler has accepted it before its messages are read; the one request of
      // any other call is read before its handler (and its authentication) runs.
      budget: method.kind === 'bidi' ? this.budget : this.anonymousBudget,
      what: path,
    });
    call.atEnd(() => reader.discard());
    const deadline = parseTimeout(headers['grpc-timeout'] as string | undefined);
    if (deadline !== undefined) call.deadline(deadline);
    const fail = (err: unknown) =>
      call.finish(err instanceof GrpcStatusError ? { code: err.code, details: err.message } : this.o.toStatus(err));
    const decode = (b: Buffer): unknown => {
      try {
        return method.decode(b);
      } catch (err) {
        throw new GrpcStatusError(Code.INTERNAL, `could not decode the request for ${path}: ${(err as Error).message}`);
      }
    };
    const read = (deliver: (b: Buffer) => void) =>
      stream.on('data', (chunk: Buffer) => {
        if (call.finished) return;
        try {
          reader.push(chunk, deliver);
        } catch (err) {
          fail(err);
        }
      });

    if (method.kind === 'bidi') {
      let listener: BidiListener<unknown>;
      try {
        listener = method.handle(call, call.writer(method.encode));
      } catch (err) {
        fail(err);
        return;
      }
      call.onClose(() => listener.close?.());
      if (call.finished) return;
      this.sessions.authenticated(stream.session);
      call.sendHeaders();
      read((b) => listener.message(decode(b)));
      stream.on('end', () => {
        if (call.finished) return;
        if (reader.partial > 0) fail(new GrpcStatusError(Code.INTERNAL, 'the request stream ended inside a message'));
        else listener.end?.();
      });
      return;
    }

    // Unary and server streaming: exactly one request message, whole within the request timeout. It is
    // kept (a copy of its own, charged to the anonymous budget) until the client half-closes.
    const { requestTimeoutMs } = this.limits;
    call.requestDeadline(
      requestTimeoutMs,
      `the request for ${path} did not arrive whole within ${requestTimeoutMs} ms`,
    );
    let request: Buffer | undefined;
    let count = 0;
    const release = () => {
      if (request) this.anonymousBudget.give(request.length);
      request = undefined;
    };
    call.atEnd(release);
    read((b) => {
      // More than one message cannot be right: refused at once, not buffered.
      if (++count > 1) throw new GrpcStatusError(Code.INTERNAL, `${path} takes one request message`);
      this.anonymousBudget.take(b.length);
      request = Buffer.copyBytesFrom(b);
    });
    stream.on('end', () => {
      if (call.finished) return;
      call.requestDeadline(0);
      const req = request;
      release();
      if (!req || reader.partial > 0) {
        call.finish({ code: Code.INTERNAL, details: `${path} takes one request message, got ${count}` });
        return;
      }
      void (async () => {
        try {
          const decoded = decode(req);
          if (method.kind === 'unary') {
            const res = await method.handle(decoded, call);
            if (call.finished) return;
            call.sendHeaders();
            stream.write(frame(method.encode(res)));
          } else {
            await method.handle(decoded, call, call.writer(method.encode));
          }
          if (!call.finished) this.sessions.authenticated(stream.session);
          call.finish({ code: Code.OK, details: '' });
        } catch (err) {
          fail(err);
        }
      })();
    });
  }
}

/** One gRPC call on one HTTP/2 stream: headers once, messages, then a status (trailers) once. */
class Call implements CallContext {
  finished = false;
  cancelled = false;
  private headersSent = false;
  private status: GrpcStatus = { code: Code.OK, details: '' };
  private timer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private closeListener: (() => void) | undefined;
  /** What the call holds (buffered bytes), given back once it has finished or its stream closed. */
  private readonly ending: (() => void)[] = [];

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    readonly path: string,
    private readonly registry: Set<Call>,
  ) {
    registry.add(this);
    stream.once('close', () => {
      registry.delete(this);
      clearTimeout(this.timer);
      clearTimeout(this.requestTimer);
      this.end();
      if (!this.finished) {
        this.finished = true;
        this.cancelled = true;
      }
      this.closeListener?.();
    });
  }

  atEnd(f: () => void): void {
    this.ending.push(f);
  }

  private end(): void {
    for (const f of this.ending.splice(0)) f();
  }

  header(name: string): string | undefined {
    const v = this.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null {
    const socket = this.stream.session?.socket as TLSSocket | undefined;
    if (!socket || typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return {};
    const cert = socket.getPeerCertificate();
    return cert.raw ? { sslPeerCertificate: { raw: cert.raw } } : {};
  }

  onClose(f: () => void): void {
    if (this.stream.closed) f();
    else this.closeListener = f;
  }

  deadline(ms: number): void {
    this.timer = setTimeout(() => this.finish({ code: Code.DEADLINE_EXCEEDED, details: 'deadline exceeded' }), ms);
    this.timer.unref();
  }

  /** The request must be whole (the client half-closed) within `ms`; 0 clears it. */
  requestDeadline(ms: number, details = ''): void {
    clearTimeout(this.requestTimer);
    if (ms <= 0) return;
    this.requestTimer = setTimeout(() => this.finish({ code: Code.DEADLINE_EXCEEDED, details }), ms);
    this.requestTimer.unref();
  }

  sendHeaders(): void {
    if (this.headersSent || this.stream.closed || this.stream.destroyed) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    this.stream.once('wantTrailers', () => {
      this.stream.sendTrailers({
        'grpc-status': String(this.status.code),
        ...(this.status.details ? { 'grpc-message': encodeStatusMessage(this.status.details) } : {}),
      });
      // Not at once: the trailers are written by the send loop that asked for them, and a reset
      // submitted inside it would overtake them.
      setImmediate(() => this.stopRequest());
    });
  }

  writer<T>(encode: (m: T) => Uint8Array): BidiWriter<T> {
    return {
      write: (m) => this.write(frame(encode(m))),
      writeFramed: (framed) => this.write(framed),
      end: () => this.finish({ code: Code.OK, details: '' }),
      fail: (s) => this.finish(s),
    };
  }

  private write(bytes: Buffer): Promise<void> {
    if (this.finished || this.stream.closed || this.stream.destroyed) return Promise.resolve();
    this.sendHeaders();
    if (this.stream.write(bytes)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  /** Ends the call with `status`: trailers after what was sent, or a trailers-only response. */
  finish(status: GrpcStatus): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    clearTimeout(this.requestTimer);
    this.registry.delete(this);
    this.end();
    if (this.stream.closed || this.stream.destroyed) return;
    this.status = { code: status.code, details: status.details };
    // What the client still sends is read and dropped until the stream is reset (stopRequest).
    this.stream.resume();
    if (this.headersSent) {
      this.stream.end();
      return;
    }
    this.headersSent = true;
    this.stream.respond(
      {
        ...RESPONSE_HEADERS,
        'grpc-status': String(status.code),
        ...(status.details ? { 'grpc-message': encodeStatusMessage(status.details) } : {}),
      },
      { endStream: true },
    );
    this.stopRequest();
  }

  /**
   * After the status: a client still sending is told to stop (RST_STREAM NO_ERROR, as HTTP/2 allows
   * once the response is complete; node:http2 sends what is queued first), instead of the hub reading
   * what it would drop.
   */
  private stopRequest(): void {
    if (!this.stream.readableEnded && !this.stream.closed) this.stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }
}
