import http2 from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createPrivateKey } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { pki } from '@flotilla/proto/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { Code, frame } from './frames.js';
import type { H2Limits } from './limits.js';
import { H2GrpcServer, type Method } from './server.js';

// Each limit of H2GrpcServer against a raw node:http2 client (what an attacker would use), on loopback.
const text = { decode: (b: Buffer) => b.toString(), encode: (s: string) => Buffer.from(s) };
const servers: H2GrpcServer[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await Promise.all(servers.splice(0).map((s) => s.stop(200)));
});

const echo: Method<string, string> = { kind: 'unary', ...text, handle: (req) => `echo ${req.length}` };
/** Accepts every call (an authenticated agent's stream); answers each message with its length. */
const chat: Method<string, string> = {
  kind: 'bidi',
  ...text,
  handle: (_call, out) => ({ message: (m) => void out.write(String(m.length)), end: () => out.end() }),
};

async function serve(limits: Partial<H2Limits> = {}, tls?: { key: string; cert: string }) {
  const server = new H2GrpcServer({
    limits,
    maxReceiveBytes: 8 * 1024 * 1024,
    toStatus: (err) => ({ code: Code.INTERNAL, details: String(err) }),
    ...(tls ? { tls: { options: () => tls, onChange: () => undefined } } : {}),
  });
  server.add('/t.T/Echo', echo, 1024);
  server.add('/t.T/Chat', chat);
  servers.push(server);
  const port = await server.listen('127.0.0.1:0');
  return { server, port };
}

function session(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`, { maxSessionMemory: 1000 });
  s.on('error', () => undefined);
  closers.push(() => s.destroy());
  return s;
}
const connected = (s: http2.ClientHttp2Session) =>
  new Promise<void>((resolve) => (s.connecting ? s.once('connect', () => resolve()) : resolve()));
const closed = (s: http2.ClientHttp2Session | Socket) =>
  new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

interface Outcome {
  status?: string;
  message?: string;
  rstCode?: number;
}

/** A call sending `bytes` as they are, and the end of the request only if `end`. */
function call(s: http2.ClientHttp2Session, path: string, bytes: Buffer, end: boolean) {
  const stream = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
  const o: Outcome = {};
  const answer = (h: http2.IncomingHttpHeaders) => {
    if (h['grpc-status'] === undefined) return;
    o.status = String(h['grpc-status']);
    o.message = decodeURIComponent(String(h['grpc-message'] ?? ''));
  };
  stream.on('response', answer);
  stream.on('trailers', answer);
  stream.on('error', () => undefined);
  stream.resume();
  const done = new Promise<Outcome>((resolve) =>
    stream.on('close', () => {
      o.rstCode = stream.rstCode;
      resolve(o);
    }),
  );
  if (end) stream.end(bytes);
  else stream.write(bytes);
  return { stream, done };
}
/** A length prefix announcing `n` bytes, then `sent` of them. */
const announce = (n: number, sent = 0) => {
  const b = Buffer.alloc(5 + sent, 0x41);
  b[0] = 0;
  b.writeUInt32BE(n, 1);
  return b;
};

describe('H2GrpcServer limits', () => {
  it("refuses a request over its method's limit from the length prefix alone, and resets the stream", async () => {
    const { server, port } = await serve();
    const s = session(port);
    const { done } = call(s, '/t.T/Echo', announce(4 * 1024 * 1024), false);
    expect(await done).toEqual({
      status: String(Code.RESOURCE_EXHAUSTED),
      message: 'received a message of 4194304 bytes, larger than the limit of 1024 for /t.T/Echo',
      rstCode: http2.constants.NGHTTP2_NO_ERROR,
    });
    expect(server.stats()).toMatchObject({ calls: 0, unauthenticatedBufferedBytes: 0 });
    // Another method keeps the server's default.
    const ok = call(s, '/t.T/Chat', frame(Buffer.alloc(2 * 1024 * 1024)), true);
    expect(await ok.done).toMatchObject({ status: '0' });
  });

  it('advertises its concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS)', async () => {
    const { port } = await serve({ maxConcurrentStreams: 7 });
    const s = session(port);
    await new Promise((r) => s.once('remoteSettings', r));
    expect(s.remoteSettings.maxConcurrentStreams).toBe(7);
  });

  it('closes connections over maxConnections as they are accepted', async () => {
    const { port } = await serve({ maxConnections: 2 });
    const sockets = [0, 1, 2].map(() => {
      const c = netConnect(port, '127.0.0.1');
      c.on('error', () => undefined);
      closers.push(() => c.destroy());
      return c;
    });
    await closed(sockets[2]!);
    expect(sockets.slice(0, 2).map((c) => c.destroyed)).toEqual([false, false]);
  });

  it('refuses more unauthenticated connections from one address than allowed once half the connections are taken; authenticated ones do not count', async () => {
    const { server, port } = await serve({ maxUnauthenticatedPerAddress: 2, maxConnections: 4 });
    const [a, b] = [session(port), session(port)];
    await Promise.all([connected(a), connected(b)]);
    await expect.poll(() => server.stats().unauthenticatedConnections).toBe(2);
    // Closed as it is accepted: no HTTP/2 session, no TLS handshake spent on it.
    const refused = session(port);
    let settings = false;
    refused.once('remoteSettings', () => (settings = true));
    await closed(refused);
    expect(settings).toBe(false);
    // A call accepted on `a` (an agent's stream): `a` no longer counts, and one more may connect.
    const open = call(a, '/t.T/Chat', frame(Buffer.from('hello')), false);
    await new Promise((r) => open.stream.once('data', r));
    expect(server.stats()).toMatchObject({ connections: 2, unauthenticatedConnections: 1 });
    const next = session(port);
    await connected(next);
    expect(await call(next, '/t.T/Echo', frame(Buffer.from('x')), true).done).toMatchObject({ status: '0' });
  });

  it('lets connections from one address in beyond that limit while the hub holds under half its connection limit', async () => {
    const { server, port } = await serve({ maxUnauthenticatedPerAddress: 1, maxConnections: 100 });
    const many = Array.from({ length: 5 }, () => session(port));
    await Promise.all(many.map(connected));
    await expect.poll(() => server.stats().unauthenticatedConnections).toBe(5);
    expect(many.some((s) => s.closed || s.destroyed)).toBe(false);
  });

  it('closes a connection that opens no call within the handshake timeout, not one with a call open', async () => {
    const { server, port } = await serve({ handshakeTimeoutMs: 300, idleTimeoutMs: 60_000 });
    const silent = session(port);
    const busy = session(port);
    const open = call(busy, '/t.T/Chat', frame(Buffer.from('hello')), false);
    await closed(silent);
    expect(busy.closed || busy.destroyed).toBe(false);
    // Ended: `busy` is authenticated now, so the (long) idle timeout applies.
    open.stream.end();
    expect(await open.done).toMatchObject({ status: '0' });
    expect(server.stats().connections).toBe(1);
  });

  it('closes a connection not yet authenticated soon after its calls have ended', async () => {
    const { server, port } = await serve({ handshakeTimeoutMs: 60_000, unauthenticatedIdleMs: 300 });
    const s = session(port);
    const refused = await call(s, '/t.T/Echo', announce(4096), false).done;
    expect(refused).toMatchObject({ status: String(Code.RESOURCE_EXHAUSTED) });
    await closed(s);
    expect(server.stats()).toMatchObject({ connections: 0, unauthenticatedConnections: 0 });
  });

  it('closes a TLS connection whose handshake does not finish within the handshake timeout', async () => {
    const ca = pki.createAuthority({ commonName: 'test CA' });
    const authority = { certificatePem: ca.certificatePem, privateKey: createPrivateKey(ca.privateKeyPem) };
    const cert = pki.issueServerCertificate(authority, { commonName: 'hub', dnsNames: ['localhost'], ipAddresses: [] });
    const { port } = await serve({ handshakeTimeoutMs: 300 }, { key: cert.privateKeyPem, cert: cert.certificatePem });
    const mute = netConnect(port, '127.0.0.1'); // never sends a ClientHello
    mute.on('error', () => undefined);
    closers.push(() => mute.destroy());
    await closed(mute);
    // A real client still gets through.
    const ok = tlsConnect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: ca.certificatePem,
      ALPNProtocols: ['h2'],
    });
    closers.push(() => ok.destroy());
    await new Promise<void>((resolve, reject) => ok.once('secureConnect', () => resolve()).once('error', reject));
  });

  it('closes an authenticated connection left without a call after the idle timeout', async () => {
    const { server, port } = await serve({ idleTimeoutMs: 300 });
    const s = session(port);
    const c = call(s, '/t.T/Chat', frame(Buffer.from('hello')), true);
    expect(await c.done).toMatchObject({ status: '0' });
    await closed(s);
    expect(server.stats().connections).toBe(0);
  });

  it('ends a request that does not arrive whole within the request timeout, and frees what it held', async () => {
    const { server, port } = await serve({ requestTimeoutMs: 300 });
    const s = session(port);
    const c = call(s, '/t.T/Echo', announce(1000, 500), false);
    await expect.poll(() => server.stats().unauthenticatedBufferedBytes).toBe(1000);
    expect(await c.done).toEqual({
      status: String(Code.DEADLINE_EXCEEDED),
      message: 'the request for /t.T/Echo did not arrive whole within 300 ms',
      rstCode: http2.constants.NGHTTP2_NO_ERROR,
    });
    expect(server.stats()).toMatchObject({ calls: 0, unauthenticatedBufferedBytes: 0 });
    // A whole message without the end of the request is held (and timed out) the same way.
    const whole = call(s, '/t.T/Echo', frame(Buffer.from('x')), false);
    expect(await whole.done).toMatchObject({ status: String(Code.DEADLINE_EXCEEDED) });
  });

  it('bounds the bytes of unfinished messages across calls, anonymous and authenticated apart', async () => {
    const { server, port } = await serve({ maxUnauthenticatedBufferedBytes: 3000, maxBufferedBytes: 100_000 });
    const s = session(port);
    const held = [1, 2, 3].map(() => call(s, '/t.T/Echo', announce(1000, 10), false));
    await expect.poll(() => server.stats().unauthenticatedBufferedBytes).toBe(3000);
    const refused = await call(s, '/t.T/Echo', announce(1000, 10), false).done;
    expect(refused).toMatchObject({
      status: String(Code.RESOURCE_EXHAUSTED),
      message:
        'the hub is holding 3000 bytes of unfinished messages of callers not yet authenticated, its limit is 3000; try again later',
    });
    // An authenticated stream is not starved by them.
    const agent = call(s, '/t.T/Chat', announce(60_000, 30_000), false);
    await expect.poll(() => server.stats().bufferedBytes).toBe(60_000);
    const over = await call(s, '/t.T/Chat', announce(60_000, 30_000), false).done;
    expect(over).toMatchObject({ status: String(Code.RESOURCE_EXHAUSTED) });
    // A caller that resets its stream gives its bytes back.
    held[0]!.stream.close(http2.constants.NGHTTP2_CANCEL);
    agent.stream.close(http2.constants.NGHTTP2_CANCEL);
    await expect.poll(() => server.stats()).toMatchObject({ unauthenticatedBufferedBytes: 2000, bufferedBytes: 0 });
    expect(await call(s, '/t.T/Echo', frame(Buffer.alloc(1000)), true).done).toMatchObject({ status: '0' });
  });

  it('returns the memory of unfinished messages once their streams are reset (nothing kept by closures or listeners)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { server, port } = await serve({ maxBufferedBytes: 512 * 1024 * 1024 });
    const s = session(port);
    const piece = announce(6 * 1024 * 1024, 3 * 1024 * 1024);
    gc();
    const base = process.memoryUsage().arrayBuffers;
    const calls = Array.from({ length: 20 }, () => call(s, '/t.T/Chat', piece, false));
    await expect
      .poll(() => server.stats().bufferedBytes, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(20 * 3 * 1024 * 1024);
    gc();
    const during = process.memoryUsage().arrayBuffers - base;
    for (const c of calls) c.stream.close(http2.constants.NGHTTP2_CANCEL);
    await Promise.all(calls.map((c) => c.done));
    await expect.poll(() => server.stats()).toMatchObject({ calls: 0, bufferedBytes: 0 });
    expect(during).toBeGreaterThan(60 * 1024 * 1024);
    // Freed buffers leave arrayBuffers once collected (their release runs after the collection).
    await expect
      .poll(() => {
        gc();
        return process.memoryUsage().arrayBuffers - base;
      })
      .toBeLessThan(8 * 1024 * 1024);
  });
});
