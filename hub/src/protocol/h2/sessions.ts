import http2, { type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { H2Limits } from './limits.js';

/** One TCP connection, from its accept: whose it is, and whether a call on it was accepted. */
interface Peer {
  address: string;
  authenticated: boolean;
}

interface Tracked {
  peer: Peer;
  streams: number;
  /** Whether a call was opened on it yet: until then the handshake timeout applies. */
  called: boolean;
  idle: NodeJS.Timeout | undefined;
  stopKeepalive: () => void;
}

const keyOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }) =>
  `${s.remoteAddress ?? 'unknown'}|${s.remotePort ?? 0}`;

/**
 * The server's connections: how many are not yet authenticated per address, when one that holds no
 * call is closed, keepalive pings. All timers are per connection and end with it.
 */
export class Sessions {
  private readonly peers = new Map<string, Peer>();
  private readonly tracked = new Map<Http2Session, Tracked>();
  private readonly unauthenticatedBy = new Map<string, number>();

  constructor(private readonly limits: H2Limits) {}

  /**
   * A TCP connection, as accepted (before any TLS handshake). Refused when its address already has
   * `maxUnauthenticatedPerAddress` connections not yet authenticated, while the hub holds half its
   * connection limit or more; below that nobody is refused for sharing an address (see H2Limits).
   */
  accept(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const count = this.unauthenticatedBy.get(address) ?? 0;
    if (this.peers.size >= this.limits.maxConnections / 2 && count >= this.limits.maxUnauthenticatedPerAddress) {
      socket.destroy();
      return;
    }
    const key = keyOf(socket);
    const peer: Peer = { address, authenticated: false };
    this.peers.set(key, peer);
    this.unauthenticatedBy.set(address, count + 1);
    socket.once('close', () => {
      if (this.peers.get(key) === peer) this.peers.delete(key);
      if (!peer.authenticated) this.countDown(address);
    });
  }

  /** The HTTP/2 session of an accepted connection (after its TLS handshake). */
  add(s: Http2Session): void {
    s.on('error', () => undefined); // a reset connection: its streams close, and with them their calls
    const peer = s.socket ? this.peers.get(keyOf(s.socket)) : undefined;
    if (!peer) {
      s.destroy();
      return;
    }
    const t: Tracked = { peer, streams: 0, called: false, idle: undefined, stopKeepalive: keepalive(s, this.limits) };
    this.tracked.set(s, t);
    this.arm(s, t);
    s.once('close', () => {
      clearTimeout(t.idle);
      t.stopKeepalive();
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
    t.called = true;
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
    const peer = s && this.tracked.get(s)?.peer;
    if (!peer || peer.authenticated) return;
    peer.authenticated = true;
    this.countDown(peer.address);
  }

  /** HTTP/2 sessions (connections past their handshake). */
  get size(): number {
    return this.tracked.size;
  }

  /** Connections, handshakes included, not yet authenticated. */
  get unauthenticated(): number {
    let n = 0;
    for (const c of this.unauthenticatedBy.values()) n += c;
    return n;
  }

  all(): Http2Session[] {
    return [...this.tracked.keys()];
  }

  /** With no call open: closed (GOAWAY) after the timeout that fits its state. */
  private arm(s: Http2Session, t: Tracked): void {
    clearTimeout(t.idle);
    const { handshakeTimeoutMs, unauthenticatedIdleMs, idleTimeoutMs } = this.limits;
    const ms = t.peer.authenticated ? idleTimeoutMs : t.called ? unauthenticatedIdleMs : handshakeTimeoutMs;
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
