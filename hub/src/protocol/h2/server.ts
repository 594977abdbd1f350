// The hub's gRPC endpoint on node:http2 directly. Measured reason (test/bench/RESULTS.md, session 8):
// grpc-js's server spends, per message received on a stream, a pause and a resume of the HTTP/2
// stream, a promise for decompression (even uncompressed) and an object-mode Readable push: about
// 9 µs of the hub's ~50 µs per status message on 1,000 TLS streams. Here a DATA chunk is decoded and
// handed over synchronously. Agents still use grpc-js as the client; the wire is standard gRPC.
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  Code,
  encodeStatusMessage,
  frame,
  GrpcStatusError,
  MessageReader,
  parseTimeout,
  type GrpcStatus,
} from './frames.js';

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
  maxReceiveBytes?: number;
  /** A ping every this often on each connection; one unanswered for `keepaliveTimeoutMs` closes it. */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
}

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc+proto' } as const;

export class H2GrpcServer {
  private readonly methods = new Map<string, Method<unknown, unknown>>();
  private readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly sessions = new Set<Http2Session>();
  private readonly calls = new Set<Call>();
  private readonly maxReceive: number;

  constructor(private readonly o: H2GrpcServerOptions) {
    this.maxReceive = o.maxReceiveBytes ?? 4 * 1024 * 1024;
    // Without a session memory ceiling, nghttp2 refuses streams on a busy connection (grpc-js does the same).
    const common = { maxSessionMemory: Number.MAX_SAFE_INTEGER };
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
      const server = http2.createSecureServer({ ...common, ...secure() });
      tls.onChange(() => server.setSecureContext(secure()));
      this.server = server;
    } else {
      this.server = http2.createServer(common);
    }
    this.server.on('session', (s) => this.onSession(s));
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  add<Req, Res>(path: string, method: Method<Req, Res>): void {
    this.methods.set(path, method as unknown as Method<unknown, unknown>);
  }

  /** Listens on host:port (port 0 picks one); resolves with the port. */
  listen(address: string): Promise<number> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    const port = Number(address.slice(i + 1));
    if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
      return Promise.reject(new Error(`gRPC listen address "${address}" is not host:port`));
    }
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
        for (const s of this.sessions) s.destroy();
      }, graceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const c of [...this.calls]) c.finish({ code: Code.UNAVAILABLE, details: 'the hub is shutting down' });
      for (const s of this.sessions) s.close();
    });
  }

  private onSession(s: Http2Session): void {
    this.sessions.add(s);
    s.on('error', () => undefined); // a reset connection: its streams close, and with them their calls
    const every = this.o.keepaliveMs ?? 30_000;
    const timeout = this.o.keepaliveTimeoutMs ?? 10_000;
    let waiting: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (waiting || s.destroyed) return;
      waiting = setTimeout(() => s.destroy(), timeout);
      waiting.unref();
      const sent = s.ping(() => {
        clearTimeout(waiting);
        waiting = undefined;
      });
      if (!sent) {
        // Too many pings in flight already (the peer is slow to answer): the pending one decides.
        clearTimeout(waiting);
        waiting = undefined;
      }
    }, every);
    ping.unref();
    s.once('close', () => {
      clearInterval(ping);
      clearTimeout(waiting);
      this.sessions.delete(s);
    });
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined); // reset by the peer: 'close' follows
    const path = String(headers[':path'] ?? '');
    const type = String(headers['content-type'] ?? '');
    if (headers[':method'] !== 'POST' || !type.startsWith('application/grpc')) {
      // Not gRPC at all: an HTTP answer, as the protocol asks.
      stream.respond({ ':status': headers[':method'] === 'POST' ? 415 : 405 }, { endStream: true });
      return;
    }
    const call = new Call(stream, headers, path, this.calls);
    const method = this.methods.get(path);
    if (!method) {
      call.finish({ code: Code.UNIMPLEMENTED, details: `method ${path} is not served by this hub` });
      return;
    }
    const encoding = String(headers['grpc-encoding'] ?? 'identity');
    const reader = new MessageReader(this.maxReceive, encoding);
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
      call.sendHeaders();
      const deliver = (b: Buffer) => listener.message(decode(b));
      stream.on('data', (chunk: Buffer) => {
        if (call.finished) return;
        try {
          reader.push(chunk, deliver);
        } catch (err) {
          fail(err);
        }
      });
      stream.on('end', () => {
        if (call.finished) return;
        if (reader.partial > 0) fail(new GrpcStatusError(Code.INTERNAL, 'the request stream ended inside a message'));
        else listener.end?.();
      });
      return;
    }

    // Unary and server streaming: exactly one request message.
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (call.finished) return;
      try {
        reader.push(chunk, (b) => {
          // More than one message cannot be right: refused at once, not buffered.
          if (received.length > 0) throw new GrpcStatusError(Code.INTERNAL, `${path} takes one request message`);
          received.push(b);
        });
      } catch (err) {
        fail(err);
      }
    });
    stream.on('end', () => {
      if (call.finished) return;
      if (received.length !== 1 || reader.partial > 0) {
        call.finish({ code: Code.INTERNAL, details: `${path} takes one request message, got ${received.length}` });
        return;
      }
      void (async () => {
        try {
          const req = decode(received[0]!);
          if (method.kind === 'unary') {
            const res = await method.handle(req, call);
            if (call.finished) return;
            call.sendHeaders();
            stream.write(frame(method.encode(res)));
          } else {
            await method.handle(req, call, call.writer(method.encode));
          }
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
  private closeListener: (() => void) | undefined;

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
      if (!this.finished) {
        this.finished = true;
        this.cancelled = true;
      }
      this.closeListener?.();
    });
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

  sendHeaders(): void {
    if (this.headersSent || this.stream.closed || this.stream.destroyed) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    this.stream.once('wantTrailers', () => {
      this.stream.sendTrailers({
        'grpc-status': String(this.status.code),
        ...(this.status.details ? { 'grpc-message': encodeStatusMessage(this.status.details) } : {}),
      });
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
    this.registry.delete(this);
    if (this.stream.closed || this.stream.destroyed) return;
    this.status = { code: status.code, details: status.details };
    // What the client still sends is read and dropped, so that its stream can end (flow control).
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
  }
}
