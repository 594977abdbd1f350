import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** Bytes one way, split into HTTP/2 connection-level framing and stream frames (plaintext gRPC only). */
export interface Bytes {
  total: number;
  /** Preface and frames on stream 0 (SETTINGS, PING, connection WINDOW_UPDATE, GOAWAY). */
  connection: number;
  /** Frames of calls: HEADERS, DATA, per-stream WINDOW_UPDATE, RST_STREAM. */
  stream: number;
}

export interface ByteProxy {
  readonly port: number;
  /** Connections accepted since the last reset. */
  connections: number;
  up: Bytes;
  down: Bytes;
  reset(): void;
  close(): void;
}

const H2_PREFACE = 24;
const zero = (): Bytes => ({ total: 0, connection: 0, stream: 0 });

/**
 * Walks HTTP/2 frame headers (9 bytes: length, type, flags, stream id) across chunks and adds each
 * frame's bytes to `connection` or `stream`. Only meaningful on plaintext; under TLS it is skipped.
 */
function frameCounter(into: () => Bytes, preface: boolean) {
  let pending = Buffer.alloc(0);
  let skip = preface ? H2_PREFACE : 0;
  let skipTo: keyof Bytes = 'connection';
  return (chunk: Buffer) => {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        into()[skipTo] += n;
        skip -= n;
        buf = buf.subarray(n);
        if (skip > 0) break;
      }
      if (buf.length < 9) break;
      const length = buf.readUIntBE(0, 3);
      const streamId = buf.readUInt32BE(5) & 0x7fffffff;
      skipTo = streamId === 0 ? 'connection' : 'stream';
      skip = 9 + length;
    }
    pending = Buffer.from(buf);
  };
}

/**
 * A TCP proxy on loopback in front of the hub counting agent → hub (up) and hub → agent (down)
 * bytes over all connections; with `h2` it also splits plaintext HTTP/2 into connection set-up and
 * call frames, so that the reconcile exchange can be told apart from the connection's own cost.
 */
export async function startByteProxy(target: { host: string; port: number }, h2: boolean): Promise<ByteProxy> {
  const sockets = new Set<Socket>();
  const p: ByteProxy = {
    port: 0,
    connections: 0,
    up: zero(),
    down: zero(),
    reset() {
      p.up = zero();
      p.down = zero();
      p.connections = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
  const server = createServer((client) => {
    p.connections++;
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const upFrames = frameCounter(() => p.up, true);
    const downFrames = frameCounter(() => p.down, false);
    client.on('data', (d: Buffer) => {
      p.up.total += d.length;
      if (h2) upFrames(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      p.down.total += d.length;
      if (h2) downFrames(d);
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  server.maxConnections = 100_000;
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
  (p as { port: number }).port = (server.address() as AddressInfo).port;
  return p;
}
