import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, credsAuthenticator, headers, type NatsConnection } from '@nats-io/transport-node';
import type { AgentSession } from '@flotilla/agent';
import { protocol, store as hubStore } from '@flotilla/hub';
import { NATS, natsCodecs, nkeySigner } from '@flotilla/proto/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { hubProcess, type HubProcess } from '../../harness/hub.js';
import { MemoryCluster } from '../../harness/memory-cluster.js';
import { natsFixture, natsJwtSetup } from '../../harness/transports.js';
import { waitFor } from '../../harness/wait.js';
import { hubClients, lastDeployments, type AgentStream } from './hub-agents.js';

/**
 * Finding 4: after a re-registration (the credential rotated), new calls with the old credential were
 * refused, but a Connect stream opened before stayed up, received desired states, and its status
 * reports were recorded. Here, against a `flotilla-hub serve` process: the registration that rotates
 * the credential ends the old stream (before it answers), and nothing sent on it afterwards counts.
 * NATS (the old per-cluster user voided and disconnected): test/integration/transport-conformance.test.ts.
 */
const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: "${v}"\n`;

describe('finding 4: rotating a credential ends the streams of the old one', () => {
  let git: GitServer;
  let dir: string;
  let hub: HubProcess;
  let c: ReturnType<typeof hubClients>;
  let admin: string;
  const streams: AgentStream[] = [];
  const open = (credential: string) => {
    const s = c.open(credential, 'c1');
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'apps/web/cm.yaml': cm('1') });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec04-'));
    hub = await hubProcess({ dataDir: dir });
    await hub.start();
    c = hubClients(hub, dir);
    admin = c.adminToken();
    const calls: [string, string, unknown][] = [
      ['POST', '/api/v1/repos', { name: 'config', url: git.url('config'), pollIntervalSeconds: 3600 }],
      ['PUT', '/api/v1/groups/one', { selector: 'site=one' }],
      ['POST', '/api/v1/environments', { name: 'one', repo: 'config', branch: 'main', group: 'one' }],
      ['POST', '/api/v1/targets', { name: 'web', repo: 'config', path: 'apps/web', environments: ['one'] }],
    ];
    for (const [method, path, body] of calls) expect((await c.api(admin, method, path, body)).status).toBeLessThan(300);
  }, 120_000);

  afterAll(async () => {
    for (const s of streams) s.call.cancel();
    await hub?.stop();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a stream opened with the old credential ends when the cluster registers again, receives nothing after', async () => {
    const first = await c.api<{ token: string }>(admin, 'POST', '/api/v1/clusters', {
      name: 'c1',
      labels: { site: 'one' },
    });
    const old = await c.register({ token: first.body.token, clusterName: 'c1' });
    const stolen = open(old.credential);
    await expect.poll(() => lastDeployments(stolen), { timeout: 30_000 }).toEqual(['one/web']);

    const again = await c.api<{ token: string }>(admin, 'POST', '/api/v1/clusters', { name: 'c1' });
    expect(again.status).toBe(201);
    const rotated = await c.register({ token: again.body.token, clusterName: 'c1' });
    const answeredAt = performance.now();
    const desiredBefore = stolen.desired.length;
    // What the holder of the old credential would try right away: a forged drift report.
    stolen.call.write({
      drift: {
        deployment: 'one/web',
        object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'web' },
        fields: [],
        manager: 'old-credential',
        detectedAtUnixMs: String(Date.now()),
      },
    });
    await expect.poll(() => stolen.ended?.code, { timeout: 10_000 }).toBe(grpc.status.UNAUTHENTICATED);
    expect(stolen.ended?.details).toBe(
      'CREDENTIAL_ROTATED: cluster c1 registered again and holds a new credential; this stream was opened with the one it replaced',
    );
    // Ended before the registration was answered (the hub ends it first): well within 1 s.
    console.log(`old stream ended ${(stolen.endedAt! - answeredAt).toFixed(1)} ms after the registration's answer`);

    // The old credential is refused from now on; the new one is served.
    const redial = open(old.credential);
    await expect.poll(() => redial.ended?.code, { timeout: 10_000 }).toBe(grpc.status.UNAUTHENTICATED);
    expect(redial.ended?.details).toMatch(/^CREDENTIAL_UNKNOWN: /);
    const fresh = open(rotated.credential);
    await expect.poll(() => lastDeployments(fresh), { timeout: 30_000 }).toEqual(['one/web']);

    // A new commit reaches the new stream, not the old one; only the new stream's drift is recorded.
    const head = await git.commitFiles('config', { 'apps/web/cm.yaml': cm('2') });
    expect((await c.api(admin, 'POST', '/api/v1/repos/config/sync')).status).toBeLessThan(300);
    const generation = fresh.desired.at(-1)!.generation;
    await waitFor(() => fresh.desired.at(-1)!.generation !== generation, {
      what: `c1's new stream receiving commit ${head.slice(0, 12)}`,
      timeoutMs: 30_000,
    });
    expect(stolen.desired.length).toBe(desiredBefore);
    fresh.call.write({
      drift: {
        deployment: 'one/web',
        object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'web' },
        fields: [],
        manager: 'new-credential',
        detectedAtUnixMs: String(Date.now()),
      },
    });
    const managers = async () =>
      (
        await c.api<{ items: { payload: { manager?: string } }[] }>(
          admin,
          'GET',
          '/api/v1/events?cluster=c1&kind=DriftDetected',
        )
      ).body.items.map((e) => e.payload.manager);
    await expect.poll(managers, { timeout: 15_000 }).toContain('new-credential');
    expect(await managers()).not.toContain('old-credential');
  });
});

/**
 * The same over NATS (JWT mode): what the holder of the old credential keeps is a NATS connection with
 * the cluster's old user, watching the cluster's desired-state key. Registering again voids that user.
 */
describe('finding 4 over NATS: rotating a credential voids the old NATS user and ends its connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-sec04-nats-'));
  const fx = natsFixture({ dir, secure: natsJwtSetup });
  let store: hubStore.Store;
  const sessions: { session: AgentSession; running: Promise<void> }[] = [];
  const conns: NatsConnection[] = [];

  beforeAll(async () => {
    store = hubStore.openStore(join(dir, 'hub.db'));
    await fx.startHub(store);
  });

  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => undefined);
    for (const s of sessions) {
      await s.session.stop();
      await s.running;
    }
    await fx.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a connection with the old user is closed by nats-server when the cluster registers again', async () => {
    const first = protocol.mintRegistrationToken(store, { cluster: 'c1', labels: { site: 'one' } }).token;
    const session = fx.agent({ cluster: 'c1', dir: join(dir, 'c1'), sink: new MemoryCluster(), token: first });
    sessions.push({ session, running: session.run() });
    const creds = join(dir, 'c1', 'nats.creds');
    await waitFor(() => existsSync(creds), { what: "c1's NATS creds", timeoutMs: 15_000 });
    // A copy of the agent's files in other hands: its user, watching c1's desired state.
    const stolen = await connect({
      servers: fx.nats.url,
      authenticator: credsAuthenticator(readFileSync(creds)),
      inboxPrefix: '_INBOX.c1',
      maxReconnectAttempts: 0,
      reconnect: false,
    });
    conns.push(stolen);
    stolen.subscribe('$KV.flotilla-desired.c1');
    await stolen.flush();
    let closedAt: number | undefined;
    void stolen.closed().then(() => (closedAt = performance.now()));

    const again = protocol.mintRegistrationToken(store, { cluster: 'c1' }).token;
    const reinstalled = fx.agent({ cluster: 'c1', dir: join(dir, 'c1-new'), sink: new MemoryCluster(), token: again });
    await reinstalled.credential();
    const answeredAt = performance.now();
    await waitFor(() => closedAt !== undefined, { what: "the old user's connection closed", timeoutMs: 10_000 });
    console.log(
      `old NATS user's connection closed ${(closedAt! - answeredAt).toFixed(1)} ms after the registration's answer`,
    );
    // And the old user cannot come back.
    await expect(
      connect({ servers: fx.nats.url, authenticator: credsAuthenticator(readFileSync(creds)), reconnect: false }),
    ).rejects.toThrow(/authorization violation|authentication revoked/i);
  });

  it('a registration presenting a NATS user key the hub signed before is refused (it would keep the old JWT good)', async () => {
    const creds = readFileSync(join(dir, 'c1-new', 'nats.creds'), 'utf8');
    const seed = /SU[A-Z2-7]{56}/.exec(creds)![0];
    const userKey = nkeySigner(seed).publicKey;
    const nc = await connect({
      servers: fx.nats.url,
      authenticator: credsAuthenticator(readFileSync(join(dir, 'nats-auth', 'register.creds'))),
      inboxPrefix: NATS.registerInbox,
    });
    conns.push(nc);
    const hdrs = headers();
    hdrs.set(NATS.userKeyHeader, userKey);
    // Refused before the hub seals a reply to it: any value will do.
    hdrs.set(NATS.xkeyHeader, 'XUNUSED');
    const token = protocol.mintRegistrationToken(store, { cluster: 'c1' }).token;
    const body = natsCodecs().registerRequest.encode({ token, clusterName: 'c1', retryKey: 'k' });
    const m = await nc.request(NATS.register, body, { headers: hdrs, timeout: 10_000 });
    expect(m.headers?.get(NATS.errorHeader)).toBe('CREDENTIAL_MISSING');
    expect(m.string()).toBe(
      `registration of "c1": NATS user key ${userKey} was issued before; generate a new key for each registration`,
    );
    // Refused before the token was spent.
    expect(store.registrationTokens.list('c1').filter((t) => !t.usedAt)).toHaveLength(1);
  });
});
