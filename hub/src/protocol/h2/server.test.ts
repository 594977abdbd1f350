import { createPrivateKey, X509Certificate } from 'node:crypto';
import http2 from 'node:http2';
import { connect as netConnect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { pki } from '@flotilla/proto/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { Code, frame } from './frames.js';
import type { H2Limits } from './limits.js';
import { H2GrpcServer, type BidiWriter, type CallContext, type Method, type TlsSource } from './server.js';

// A test service of string messages, called with grpc-js (the agents' client) over loopback.
const text = { decode: (b: Buffer) => b.toString(), encode: (s: string) => Buffer.from(s) };
const def = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: (s: string) => Buffer.from(s),
  requestDeserialize: (b: Buffer) => b.toString(),
  responseSerialize: (s: string) => Buffer.from(s),
  responseDeserialize: (b: Buffer) => b.toString(),
});
const Client = grpc.makeGenericClientConstructor(
  {
    Echo: def('/t.T/Echo', false, false),
    Slow: def('/t.T/Slow', false, false),
    Count: def('/t.T/Count', false, true),
    Shared: def('/t.T/Shared', false, true),
    Chat: def('/t.T/Chat', true, true),
  },
  'T',
);
type Any = Record<string, (...a: unknown[]) => unknown>;

const servers: H2GrpcServer[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.stop(200)));
});

class Refused extends Error {}

const SHARED = `shared:${'s'.repeat(70_000)}`;
const SHARED_FRAME = frame(Buffer.from(SHARED));

/** A server with the test methods; `seen` collects what handlers observe. */
async function serve(o: { tls?: TlsSource; limits?: Partial<H2Limits> } = {}) {
  const seen = { closed: 0, peer: [] as unknown[], chats: [] as BidiWriter<string>[] };
  const s = new H2GrpcServer({
    ...o,
    maxReceiveBytes: 1024,
    toStatus: (err) =>
      err instanceof Refused
        ? { code: Code.PERMISSION_DENIED, details: `refused: ${err.message}` }
        : { code: Code.INTERNAL, details: String(err) },
  });
  const echo: Method<string, string> = {
    kind: 'unary',
    ...text,
    handle(req: string, call: CallContext) {
      seen.peer.push(call.getAuthContext());
      if (req.startsWith('no')) throw new Refused(`not "${req}"`);
      return `${req} (${call.header('x-who') ?? 'anonymous'})`;
    },
  };
  const slow: Method<string, string> = {
    kind: 'unary',
    ...text,
    handle: () => new Promise((r) => setTimeout(() => r('late'), 2000)),
  };
  const count: Method<string, string> = {
    kind: 'serverStream',
    ...text,
    async handle(req, call, out) {
      for (let i = 0; i < Number(req) && !call.cancelled; i++) await out.write(`${i}:${'x'.repeat(1000)}`);
    },
  };
  // One framed answer sent on every call, as the hub sends a bundle fetched by many clusters.
  const shared: Method<string, string> = {
    kind: 'serverStream',
    ...text,
    async handle(req, _call, out) {
      await out.writeFramed(SHARED_FRAME);
      await out.write(`for ${req}`);
      await out.writeFramed(SHARED_FRAME);
    },
  };
  const chat: Method<string, string> = {
    kind: 'bidi',
    ...text,
    handle(call, out) {
      if (call.header('x-who') === 'mallory') throw new Refused('mallory');
      seen.chats.push(out);
      return {
        message: (m) => void out.write(`re: ${m}`),
        end: () => out.end(),
        close: () => seen.closed++,
      };
    },
  };
  s.add('/t.T/Echo', echo);
  s.add('/t.T/Slow', slow);
  s.add('/t.T/Count', count);
  s.add('/t.T/Shared', shared);
  s.add('/t.T/Chat', chat);
  servers.push(s);
  const port = await s.listen('127.0.0.1:0');
  return { server: s, port, seen };
}

function client(port: number, creds = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): Any {
  const c = new Client(`localhost:${port}`, creds, options);
  clients.push(c);
  return c as unknown as Any;
}

const md = (who: string) => {
  const m = new grpc.Metadata();
  m.set('x-who', who);
  return m;
};

function unary(c: Any, method: string, req: string, m = new grpc.Metadata(), deadlineMs?: number) {
  return new Promise<{ value?: string; code?: number; details?: string }>((resolve) => {
    const opts = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    c[method]!(req, m, opts, (err: grpc.ServiceError | null, value?: string) =>
      resolve(err ? { code: err.code, details: err.details } : { value }),
    );
  });
}

describe('H2GrpcServer with the grpc-js client', () => {
  it('answers unary calls, passes metadata, and maps a handler error to a status naming it', async () => {
    const { port } = await serve();
    const c = client(port);
    expect(await unary(c, 'Echo', 'hi', md('alice'))).toEqual({ value: 'hi (alice)' });
    expect(await unary(c, 'Echo', 'no')).toEqual({ code: grpc.status.PERMISSION_DENIED, details: 'refused: not "no"' });
    // Non-ASCII details survive the percent-encoding.
    expect(await unary(c, 'Echo', 'no’')).toEqual({
      code: grpc.status.PERMISSION_DENIED,
      details: 'refused: not "no’"',
    });
  });

  it('refuses an unknown method and an oversized message, and keeps serving', async () => {
    const { port } = await serve();
    const c = client(port);
    const Other = grpc.makeGenericClientConstructor({ Nope: def('/t.T/Nope', false, false) }, 'O');
    const other = new Other(`localhost:${port}`, grpc.credentials.createInsecure()) as unknown as Any;
    clients.push(other as unknown as grpc.Client);
    expect(await unary(other, 'Nope', 'x')).toEqual({
      code: grpc.status.UNIMPLEMENTED,
      details: 'method /t.T/Nope is not served by this hub',
    });
    expect(await unary(c, 'Echo', 'y'.repeat(2000))).toEqual({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: 'received a message of 2000 bytes, larger than the limit of 1024 for /t.T/Echo',
    });
    expect(await unary(c, 'Echo', 'still')).toEqual({ value: 'still (anonymous)' });
  });

  it("ends a call at the client's deadline", async () => {
    const { port } = await serve();
    const r = await unary(client(port), 'Slow', '', new grpc.Metadata(), 200);
    expect(r.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('streams more than the flow-control windows hold, in order, waiting for the reader', async () => {
    const { port } = await serve();
    const call = client(port).Count!('5000') as grpc.ClientReadableStream<string>;
    const got: string[] = [];
    let paused = false;
    call.on('data', (m: string) => {
      got.push(m.slice(0, m.indexOf(':')));
      // A slow reader for a while: the server must wait (5 MB would not fit the 64 KiB windows).
      if (got.length === 100 && !paused) {
        paused = true;
        call.pause();
        setTimeout(() => call.resume(), 300);
      }
    });
    const status = await new Promise<grpc.StatusObject>((r) => call.on('status', r));
    expect(status.code).toBe(grpc.status.OK);
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => String(i)));
  });

  it('sends one framed buffer on many calls, unchanged, between messages encoded per call', async () => {
    const { port } = await serve();
    const before = Buffer.from(SHARED_FRAME);
    const read = (c: Any, who: string) =>
      new Promise<string[]>((resolve, reject) => {
        const call = c.Shared!(who) as grpc.ClientReadableStream<string>;
        const got: string[] = [];
        call.on('data', (m: string) => got.push(m));
        call.on('error', reject);
        call.on('end', () => resolve(got));
      });
    const got = await Promise.all(['a', 'b', 'c'].map((who) => read(client(port), who)));
    expect(got).toEqual(['a', 'b', 'c'].map((who) => [SHARED, `for ${who}`, SHARED]));
    expect(SHARED_FRAME.equals(before)).toBe(true);
  });

  it('bidi: messages both ways, half-close ends with OK, a refused call gets its status, close is reported once', async () => {
    const { port, seen } = await serve();
    const c = client(port);
    const chat = c.Chat!(md('bob')) as grpc.ClientDuplexStream<string, string>;
    const replies: string[] = [];
    chat.on('data', (m: string) => replies.push(m));
    const status = new Promise<grpc.StatusObject>((r) => chat.on('status', r));
    for (const m of ['a', 'b', 'c']) chat.write(m);
    chat.end();
    expect((await status).code).toBe(grpc.status.OK);
    expect(replies).toEqual(['re: a', 're: b', 're: c']);
    await expect.poll(() => seen.closed).toBe(1);

    const refused = c.Chat!(md('mallory')) as grpc.ClientDuplexStream<string, string>;
    refused.on('error', () => undefined);
    const r = await new Promise<grpc.StatusObject>((res) => refused.on('status', res));
    expect(r).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'refused: mallory' });
  });

  it('a client that cancels is seen by the handler; stop() ends open calls with UNAVAILABLE', async () => {
    const { server, port, seen } = await serve();
    const c = client(port);
    const cancelled = c.Chat!(md('carol')) as grpc.ClientDuplexStream<string, string>;
    cancelled.on('error', () => undefined);
    cancelled.write('hello');
    await new Promise((r) => cancelled.once('data', r));
    cancelled.cancel();
    await expect.poll(() => seen.closed).toBe(1);

    const open = c.Chat!(md('dave')) as grpc.ClientDuplexStream<string, string>;
    open.on('error', () => undefined);
    open.write('hello');
    await new Promise((r) => open.once('data', r));
    const status = new Promise<grpc.StatusObject>((r) => open.on('status', r));
    await server.stop(1000);
    expect(await status).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'the hub is shutting down' });
    expect(seen.closed).toBe(2);
  });

  it('answers what is not gRPC with an HTTP status', async () => {
    const { port } = await serve();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const status = (headers: http2.OutgoingHttpHeaders) =>
        new Promise<unknown>((resolve) => {
          const req = session.request(headers);
          req.on('response', (h) => resolve(h[':status']));
          req.end();
        });
      expect(await status({ ':method': 'GET', ':path': '/t.T/Echo' })).toBe(405);
      expect(await status({ ':method': 'POST', ':path': '/t.T/Echo', 'content-type': 'application/json' })).toBe(415);
    } finally {
      session.close();
    }
  });

  it('pings every connection, and drops one whose peer stops answering', async () => {
    const { port } = await serve({ limits: { keepaliveMs: 100, keepaliveTimeoutMs: 200 } });
    // A well-behaved client answers: it stays connected, and sees the pings.
    const live = http2.connect(`http://127.0.0.1:${port}`);
    let pings = 0;
    live.on('ping', () => pings++);
    // A peer that speaks HTTP/2's preface and settings, then answers nothing.
    const mute = netConnect(port, '127.0.0.1');
    const settings = (flags: number) => Buffer.from([0, 0, 0, 4, flags, 0, 0, 0, 0]);
    mute.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings(0), settings(1)]));
    const closedAt = new Promise<number>((r) => mute.on('close', () => r(Date.now())));
    mute.on('error', () => undefined);
    mute.resume();
    const t0 = Date.now();
    expect((await closedAt) - t0).toBeLessThan(2000);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(live.closed || live.destroyed).toBe(false);
    live.close();
  });
});

describe('H2GrpcServer over TLS', () => {
  const caPair = pki.createAuthority({ commonName: 'test CA' });
  const ca: pki.Authority = {
    certificatePem: caPair.certificatePem,
    privateKey: createPrivateKey(caPair.privateKeyPem),
  };
  const server = pki.issueServerCertificate(ca, { commonName: 'hub', dnsNames: ['localhost'], ipAddresses: [] });
  const source = (): TlsSource & { renew(): void; changes: number } => {
    let pair = server;
    const listeners: (() => void)[] = [];
    return {
      changes: 0,
      options: () => ({ key: pair.privateKeyPem, cert: pair.certificatePem, ca: ca.certificatePem }),
      onChange: (l) => listeners.push(l),
      renew() {
        pair = pki.issueServerCertificate(ca, { commonName: 'hub-2', dnsNames: ['localhost'], ipAddresses: [] });
        this.changes++;
        for (const l of listeners) l();
      },
    };
  };

  it('hands handlers the verified client certificate, or none; a renewed certificate serves new connections', async () => {
    const tls = source();
    const { port, seen } = await serve({ tls });
    const trust = Buffer.from(ca.certificatePem);
    expect(await unary(client(port, grpc.credentials.createSsl(trust)), 'Echo', 'a')).toEqual({
      value: 'a (anonymous)',
    });
    expect(seen.peer.at(-1)).toEqual({});

    const { privateKey } = pki.generateKeyPair();
    const cert = pki.issueClientCertificate(ca, { cluster: 'alpha', publicKey: privateKey });
    const mtls = grpc.credentials.createSsl(trust, Buffer.from(pki.privateKeyPem(privateKey)), Buffer.from(cert));
    expect(await unary(client(port, mtls), 'Echo', 'b')).toEqual({ value: 'b (anonymous)' });
    const raw = (seen.peer.at(-1) as { sslPeerCertificate?: { raw?: Buffer } }).sslPeerCertificate?.raw;
    expect(raw && new X509Certificate(raw).subjectAltName).toContain('flotilla://cluster/alpha');

    tls.renew();
    const seenCert = await new Promise<string>((resolve, reject) => {
      const s = http2.connect(`https://localhost:${port}`, { ca: ca.certificatePem }, (session) => {
        const peer = (session.socket as TLSSocket).getPeerCertificate();
        session.close();
        resolve(peer.subject.CN ?? '');
      });
      s.on('error', reject);
    });
    expect(seenCert).toBe('hub-2');
  });
});
