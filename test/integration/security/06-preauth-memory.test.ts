import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { protocol, store as hubStore } from '@flotilla/hub';
import { loadFlotillaProto, NATS, natsJwtAuthenticator, parseNatsCreds } from '@flotilla/proto/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubProcess, type HubProcess } from '../../harness/hub.js';
import { startNats, type NatsServer } from '../../harness/nats.js';
import { pidRss } from '../../harness/process.js';
import { natsJwtSetup } from '../../harness/transports.js';
import { waitFor } from '../../harness/wait.js';

/**
 * Issue #18, finding 6: 50 Register streams (5 HTTP/2 sessions x 10), each announcing a 4 MB message
 * and never finishing it, took a hub from 142 to 829 MiB, held after the streams closed. Reproduced
 * against a `flotilla-hub serve` process (defaults: TLS, every limit at its default) with node:http2
 * as the raw client; the hub's RSS and heap are read before, during and after.
 */
const v1 = loadFlotillaProto().flotilla.v1;
const REGISTER = '/flotilla.v1.Registration/Register';
const MiB = 1024 * 1024;

/** What one hostile stream saw: the status the hub sent and the code it reset the stream with. */
interface Outcome {
  status?: string;
  message?: string;
  rstCode?: number;
}

/**
 * A Register call that announces `announce` bytes, sends `send` of them and never ends; settles when
 * the hub resets or closes the stream (node:http2 reports a reset on a stream it is still writing as
 * 'aborted', not 'close').
 */
function hostileStream(session: http2.ClientHttp2Session, announce: number, send: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const o: Outcome = {};
    const s = session.request({
      ':method': 'POST',
      ':path': REGISTER,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    s.on('response', (h) => {
      o.status = String(h['grpc-status']);
      o.message = decodeURIComponent(String(h['grpc-message'] ?? ''));
    });
    s.on('error', () => undefined);
    const settle = () => {
      o.rstCode = s.rstCode;
      resolve(o);
      s.destroy();
    };
    s.on('aborted', settle);
    s.on('close', settle);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(announce, 1);
    s.write(Buffer.concat([prefix, Buffer.alloc(send, 0x41)]));
  });
}

describe('finding 6: unauthenticated memory exhaustion over gRPC (hub process)', () => {
  let dir: string;
  let hub: HubProcess;
  let ca: Buffer;
  let admin: string;
  const sessions: http2.ClientHttp2Session[] = [];

  const connect = () => {
    // The attacker's own session memory must not stop it from queueing 40 MB (Node's default is 10 MB).
    const s = http2.connect(`https://127.0.0.1:${hub.grpcPort}`, {
      ca,
      servername: 'localhost',
      maxSessionMemory: 1000,
    });
    s.on('error', () => undefined);
    sessions.push(s);
    return s;
  };
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as T;
  };
  /** The hub's resident set and V8 heap in MiB (heap from its own /metrics). */
  const memory = async () => {
    const text = await (await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / MiB;
    return {
      rss: (pidRss(hub.proc.pid) ?? NaN) / MiB,
      heap: gauge('flotilla_hub_nodejs_heap_size_used_bytes'),
      external: gauge('flotilla_hub_nodejs_external_memory_bytes'),
    };
  };
  /** A well-behaved agent: registers with grpc-js, opens its stream, is welcomed. */
  const legitimateAgent = async (name: string) => {
    const { token } = await api<{ token: string }>('POST', '/api/v1/clusters', { name, labels: { site: 'one' } });
    const creds = grpc.credentials.createSsl(ca);
    const address = `127.0.0.1:${hub.grpcPort}`;
    const registration = new v1.Registration(address, creds);
    const { credential } = await new Promise<{ credential: string }>((resolve, reject) =>
      registration.Register({ token, clusterName: name }, (e, r) => (e ? reject(e) : resolve(r!))),
    );
    registration.close();
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${credential}`);
    const agent = new v1.AgentService(address, creds);
    const call = agent.Connect(md);
    try {
      const welcome = new Promise<unknown>((resolve, reject) => {
        call.on('data', (m: { welcome?: unknown }) => m.welcome && resolve(m.welcome));
        call.on('error', reject);
      });
      call.write({ hello: { clusterId: name } });
      return await welcome;
    } finally {
      call.cancel();
      agent.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec-06-'));
    hub = await hubProcess({ dataDir: dir });
    await hub.start();
    ca = readFileSync(join(dir, 'tls', 'ca.crt'));
    admin = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  });

  afterAll(async () => {
    for (const s of sessions) s.destroy();
    await hub?.stop();
    if (dir && process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  /** Samples the hub's memory until `until` settles; the highest RSS (and its heap) is the peak. */
  const peakWhile = async (until: Promise<unknown>) => {
    let settled = false;
    void until.finally(() => (settled = true));
    let peak = await memory();
    while (!settled) {
      await new Promise((r) => setTimeout(r, 250));
      const m = await memory();
      if (m.rss > peak.rss) peak = m;
    }
    return peak;
  };

  it('50 Register streams announcing 4 MB are refused from the length prefix; memory stays flat and an agent is served meanwhile', async () => {
    const before = await memory();
    const attackers = Array.from({ length: 5 }, connect);
    const attack = attackers.flatMap((s) => Array.from({ length: 10 }, () => hostileStream(s, 4 * MiB, 4 * MiB - 1)));
    const outcomes: (Outcome | undefined)[] = attack.map(() => undefined);
    attack.forEach((p, i) => void p.then((o) => (outcomes[i] = o)));
    // Every stream refused, or 30 s (the code before the fix took the bytes and held them: the
    // assertions below then say how much).
    const settled = waitFor(() => outcomes.every(Boolean), { what: 'every hostile stream settled', timeoutMs: 30_000 });
    const [welcome, during] = await Promise.all([legitimateAgent('legit'), peakWhile(settled.catch(() => undefined))]);
    const report = (after?: unknown) => JSON.stringify({ before, during, after });
    expect(welcome).toBeTruthy();
    expect(during.rss - before.rss, report()).toBeLessThan(64);
    expect(outcomes.filter((o) => !o).length, `streams still open after 30 s; ${report()}`).toBe(0);
    for (const o of outcomes) {
      expect(o).toEqual({
        status: String(grpc.status.RESOURCE_EXHAUSTED),
        message: `received a message of ${4 * MiB} bytes, larger than the limit of 8192 for ${REGISTER}`,
        rstCode: http2.constants.NGHTTP2_NO_ERROR,
      });
    }
    // The attackers' connections, not authenticated and left without a call, are closed by the hub after 10 s.
    await waitFor(() => attackers.every((s) => s.closed || s.destroyed), {
      what: 'the hub closed the attackers’ idle connections',
      timeoutMs: 30_000,
    });
    const after = await memory();
    console.info(`finding 6, MiB: ${report(after)}`);
    expect(after.rss - before.rss, report(after)).toBeLessThan(64);
    expect(after.external - before.external, report(after)).toBeLessThan(16);
  });

  it('Register streams within the limit that never finish end at the request timeout, their bytes released', async () => {
    const attackers = Array.from({ length: 5 }, connect);
    await new Promise((r) => attackers[0]!.once('remoteSettings', r));
    // No more than 100 calls at once on a connection.
    expect(attackers[0]!.remoteSettings.maxConcurrentStreams).toBe(100);
    const before = await memory();
    const attack = Promise.all(
      attackers.flatMap((s) => Array.from({ length: 10 }, () => hostileStream(s, 8192, 4096))),
    );
    const [outcomes, during] = await Promise.all([attack, peakWhile(attack)]);
    for (const o of outcomes) {
      expect(o).toEqual({
        status: String(grpc.status.DEADLINE_EXCEEDED),
        message: `the request for ${REGISTER} did not arrive whole within 10000 ms`,
        rstCode: http2.constants.NGHTTP2_NO_ERROR,
      });
    }
    await waitFor(() => attackers.every((s) => s.closed || s.destroyed), {
      what: 'the hub closed the attackers’ idle connections',
      timeoutMs: 30_000,
    });
    const after = await memory();
    expect(during.rss - before.rss, JSON.stringify({ before, during, after })).toBeLessThan(64);
    expect(after.rss - before.rss, JSON.stringify({ before, during, after })).toBeLessThan(64);
  });
});

describe('finding 6 over NATS: a registration request is bounded before the hub decodes it', () => {
  let dir: string;
  let nats: NatsServer;
  let hub: protocol.NatsHub;
  let registerCreds: string;
  let unlimited: Parameters<typeof natsConnect>[0];
  const clients: NatsConnection[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec-06-nats-'));
    const setup = await natsJwtSetup(dir);
    nats = await startNats(setup.server);
    const store = hubStore.openStore(join(dir, 'hub.db'));
    hub = await protocol.startNatsServer({ store, servers: nats.url, ...setup.hub });
    registerCreds = setup.agent.registerCredsFile!;
    unlimited = setup.hub.connectOptions;
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await hub?.stop();
    await nats?.stop();
    if (dir && process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  const client = async (o: Parameters<typeof natsConnect>[0]) => {
    const c = await natsConnect({ servers: nats.url, ...o });
    clients.push(c);
    return c;
  };
  const tooBig = new Uint8Array(protocol.REGISTER_MAX_BYTES + 1);

  it('nats-server refuses a registration over 8 KiB from the register-only user agents are given', async () => {
    const { jwt, seed } = parseNatsCreds(readFileSync(registerCreds, 'utf8'), registerCreds);
    const registrant = await client({
      authenticator: natsJwtAuthenticator(jwt, seed),
      inboxPrefix: NATS.registerInbox,
    });
    await expect(registrant.request(NATS.register, tooBig, { timeout: 5000 })).rejects.toThrow(/payload/i);
  });

  it('the hub refuses one from a publisher without that limit (older register creds, auth none) without decoding it', async () => {
    const other = await client(unlimited);
    const reply = await other.request(NATS.register, tooBig, { timeout: 5000 });
    expect(reply.headers?.get(NATS.errorHeader)).toBe('REQUEST_TOO_LARGE');
    expect(reply.string()).toMatch(/^a registration request of 8193 bytes is larger than the limit of 8192/);
  });
});
