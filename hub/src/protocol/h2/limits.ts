/**
 * What a peer can make the gRPC server hold, above all before it has authenticated. The defaults fit
 * a hub of 25,000 agents: each agent keeps one connection with one long-lived Connect call, which
 * none of these limits touch; what they bound is unauthenticated and unfinished work.
 *
 * "Authenticated" here: a connection on which a handler has accepted a call (a bidirectional call's
 * handler returned, or a call ended OK). Every method the hub serves authenticates its caller in its
 * handler (a credential, or Register's one-time token), so that is the first point where the server
 * knows the peer is one of the fleet's.
 */
export interface H2Limits {
  /**
   * Connections at once, handshakes included; one more is closed when accepted. 50,000: two per agent
   * of a 25,000-agent fleet, so that a whole fleet can redial while its old connections still wait
   * out their keepalive timeout.
   */
  maxConnections: number;
  /**
   * Connections from one address that are not yet authenticated, handshakes included, once the hub
   * holds half of `maxConnections` or more: one more is closed when accepted, so that one address
   * cannot take the connections that are left. Not below that: 1,500 TLS clients of one process
   * dialling at once had up to 1,500 connections between accept and first call, and agents behind
   * one NAT address after a hub restart are alike.
   */
  maxUnauthenticatedPerAddress: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS. An agent uses a few (Connect, a fetch or two); 100 is HTTP/2's own floor. */
  maxConcurrentStreams: number;
  /**
   * The TLS handshake must end, and a new connection's first call arrive, within this. Long, because
   * in a dial storm (a hub restart) every handshake waits behind all the others: 3,000 TLS clients
   * dialling at once all timed out with 10 s, and all connected in 27 s with Node's default of 120 s.
   */
  handshakeTimeoutMs: number;
  /** A connection not yet authenticated, whose calls have ended, is closed after this. */
  unauthenticatedIdleMs: number;
  /** An authenticated connection with no call open is closed (GOAWAY; a client dials again when it needs to). */
  idleTimeoutMs: number;
  /**
   * A unary or server-streaming call's request must arrive whole within this. Its handler (and so its
   * authentication) runs only once the request is complete: until then the caller is anonymous.
   */
  requestTimeoutMs: number;
  /** Bytes held in unfinished messages of authenticated calls (Connect), all connections together. */
  maxBufferedBytes: number;
  /** Bytes held in unfinished requests of calls whose handler has not run yet, all connections together. */
  maxUnauthenticatedBufferedBytes: number;
  /**
   * node:http2's maxSessionMemory, in MiB: nghttp2's own memory per connection (header tables, queued
   * frames, data queued to send). Node's default (10) refused new fetches on a connection busy sending
   * bundle chunks of 1 MiB; 64 leaves room for that, and bounds the rest.
   */
  maxSessionMemoryMiB: number;
  /** A ping every this often on each connection; one unanswered for `keepaliveTimeoutMs` closes it. */
  keepaliveMs: number;
  keepaliveTimeoutMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_H2_LIMITS: H2Limits = {
  maxConnections: 50_000,
  maxUnauthenticatedPerAddress: 1024,
  maxConcurrentStreams: 100,
  handshakeTimeoutMs: 120_000,
  unauthenticatedIdleMs: 10_000,
  idleTimeoutMs: 5 * 60_000,
  requestTimeoutMs: 10_000,
  // 16 messages of the 4 MiB maximum at once, or 640 status reports of 100 KB: a report split over
  // frames is held only until its last frame arrives.
  maxBufferedBytes: 64 * MiB,
  // 1,024 Register requests of the 8 KiB maximum, each half received, at the same moment.
  maxUnauthenticatedBufferedBytes: 8 * MiB,
  maxSessionMemoryMiB: 64,
  keepaliveMs: 30_000,
  keepaliveTimeoutMs: 10_000,
};
