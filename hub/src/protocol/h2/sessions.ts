import http2, { type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { H2Limits } from './limits.js';

interface Tracked {
  address: string;
  authenticated: boolean;
  streams: number;
  idle: NodeJS.Timeout | undefined;
  stopKeepalive: () => void;
}

/**
 * The server's connections: how many are not yet authenticated per address, when one that holds no
 * call is closed, keepalive pings. All timers are per connection and end with it.
 */
export class Sessions {
  private readonly tracked = new Map<Http2Session, Tracked>();
  private readonly unauthenticatedBy = new Map<string, number>();

  constructor(private readonly limits: H2Limits) {}

  /** A new connection (after its TLS handshake); refused when its address already has too many unauthenticated. */
  add(s: Http2Session): void {
    s.on('error', () => undefined); // a reset connection: its streams close, and with them their calls
    const address = s.socket?.remoteAddress ?? 'unknown';
    const count = this.unauthenticatedBy.get(address) ?? 0;
    if (count >= this.limits.maxUnauthenticatedPerAddress) {
      const reason = `${count} connections from ${address} are not yet authenticated, the limit per address`;
      s.destroy(new Error(reason), http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      return;
    }
    this.unauthenticatedBy.set(address, count + 1);
    const t: Tracked = {
      address,
      authenticated: false,
      streams: 0,
      idle: undefined,
      stopKeepalive: keepalive(s, this.limits),
    };
    this.tracked.set(s, t);
    this.arm(s, t);
    s.once('close', () => {
      clearTimeout(t.idle);
      t.stopKeepalive();
      if (!t.authenticated) this.countDown(t.address);
      this.tracked.delete(s);
    });
  }

  /** A stream opened on a tracked connection; false when the connection was refused (the stream is closed). */
  opened(stream: ServerHttp2Stream): boolean {
    const s = stream.session;
    const t = s && this.tracked.get(s);
    if (!t) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return false;
    }
    t.streams++;
    clearTimeout(t.idle);
    t.idle = undefined;
    stream.once('close', () => {
      t.streams--;
      if (t.streams === 0 && this.tracked.has(s)) this.arm(s, t);
    });
    return true;
  }

  /** A handler accepted a call on this connection: it is one of the fleet's. */
  authenticated(s: Http2Session | undefined): void {
    const t = s && this.tracked.get(s);
    if (!t || t.authenticated) return;
    t.authenticated = true;
    this.countDown(t.address);
  }

  get size(): number {
    return this.tracked.size;
  }

  get unauthenticated(): number {
    let n = 0;
    for (const c of this.unauthenticatedBy.values()) n += c;
    return n;
  }

  all(): Http2Session[] {
    return [...this.tracked.keys()];
  }

  /** With no call open: closed (GOAWAY) after the idle timeout, or the handshake timeout while anonymous. */
  private arm(s: Http2Session, t: Tracked): void {
    clearTimeout(t.idle);
    const ms = t.authenticated ? this.limits.idleTimeoutMs : this.limits.handshakeTimeoutMs;
    t.idle = setTimeout(() => {
      if (t.streams === 0 && !s.destroyed) s.close();
    }, ms);
    t.idle.unref();
  }

  private countDown(address: string): void {
    const n = (this.unauthenticatedBy.get(address) ?? 1) - 1;
    if (n > 0) this.unauthenticatedBy.set(address, n);
    else this.unauthenticatedBy.delete(address);
  }
}

/** Pings the peer every `keepaliveMs`; one unanswered for `keepaliveTimeoutMs` ends the connection. Returns a stop. */
function keepalive(s: Http2Session, limits: H2Limits): () => void {
  let waiting: NodeJS.Timeout | undefined;
  const ping = setInterval(() => {
    if (waiting || s.destroyed) return;
    waiting = setTimeout(() => s.destroy(), limits.keepaliveTimeoutMs);
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
  }, limits.keepaliveMs);
  ping.unref();
  return () => {
    clearInterval(ping);
    clearTimeout(waiting);
  };
}
