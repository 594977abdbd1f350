import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SecretBox, api, bundle, protocol, store as hubStore } from '@flotilla/hub';
import { loadFlotillaProto } from '@flotilla/proto/runtime';
import type { DriftView, Page } from '@flotilla/proto/api';

/**
 * Finding 9 of issue #18: "500 drift reports of 100 KB for its own bundle grew the store by 52 MiB in
 * 7 s; GET /drift?history then returned 51 MB. No retention, no rate limit." Reproduced with a real
 * gRPC client holding its cluster's credential, against the hub's own gRPC and HTTP servers on one
 * SQLite file, with the hub's default limits.
 */
const v1 = loadFlotillaProto().flotilla.v1;
const REPORTS = 500;
const VALUE = JSON.stringify('x'.repeat(100 * 1024));
const MiB = 1024 * 1024;

describe('finding 9: an agent fills the database with drift reports', () => {
  let dir: string;
  let store: hubStore.Store;
  let hub: protocol.GrpcHub;
  let app: FastifyInstance;
  let base: string;
  let viewer: string;
  const credentials: Record<string, string> = {};
  const calls: grpc.ClientDuplexStream<unknown, unknown>[] = [];

  const client = () => new v1.AgentService(`127.0.0.1:${hub.port}`, grpc.credentials.createInsecure());
  /** An agent's Connect stream after its hello: resolves once the hub answered with the desired state. */
  const connect = (cluster: string) =>
    new Promise<grpc.ClientDuplexStream<unknown, unknown>>((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${credentials[cluster]}`);
      const call = client().Connect(md) as grpc.ClientDuplexStream<unknown, unknown>;
      calls.push(call);
      call.on('data', (m: { desired?: unknown }) => m.desired && resolve(call));
      call.on('error', (e: Error) => (e.message.includes('CANCELLED') ? undefined : reject(e)));
      call.write({ hello: { clusterId: cluster, agentVersion: 'test' } });
    });
  const ready = {
    status: { deployment: 'prod/web', generation: '1', state: 'BUNDLE_STATE_READY', objectsTotal: 1, objectsReady: 1 },
  };
  const drift = (i: number) => ({
    drift: {
      deployment: 'prod/web',
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web' },
      fields: [{ path: '/data/payload', desiredJson: '"small"', liveJson: VALUE }],
      manager: 'attacker',
      changedAtUnixMs: String(i),
      detectedAtUnixMs: String(i),
      corrected: false,
    },
  });
  const storeBytes = () =>
    ['hub.db', 'hub.db-wal'].reduce((n, f) => n + (existsSync(join(dir, f)) ? statSync(join(dir, f)).size : 0), 0);
  const get = async (path: string) => {
    const res = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${viewer}` } });
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(200);
    return { bytes: Buffer.byteLength(text), body: JSON.parse(text) as Page<DriftView> };
  };
  const deployment = (cluster: string) => store.deployments.get({ cluster, target: 'web', environment: 'prod' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec09-'));
    store = hubStore.openStore(join(dir, 'hub.db'));
    hub = await protocol.startGrpcServer({ store, address: '127.0.0.1:0' });
    app = await api.buildServer({ store, secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')), trigger: () => false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    viewer = api.mintApiToken(store, { name: 'viewer', role: 'viewer', createdBy: 'test' }).token;

    const b = bundle.canonicalize([{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } } }]);
    store.bundles.put({ digest: b.digest, content: b.bytes, objectCount: 1 });
    store.repos.put({ name: 'config', url: 'http://git.invalid/config.git', pollIntervalSeconds: 60 });
    store.environments.put({ name: 'prod', repo: 'config', branch: 'main' });
    store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['prod'] });
    const registration = new v1.Registration(`127.0.0.1:${hub.port}`, grpc.credentials.createInsecure());
    for (const cluster of ['attacker', 'bystander']) {
      const { token } = protocol.mintRegistrationToken(store, { cluster });
      credentials[cluster] = await new Promise<string>((resolve, reject) =>
        registration.Register({ token, clusterName: cluster, agentVersion: 'test' }, (err, res) =>
          err ? reject(err) : resolve(res!.credential),
        ),
      );
      store.deployments.setDesired({ cluster, target: 'web', environment: 'prod', bundle: b.digest });
    }
  });

  afterAll(async () => {
    for (const c of calls) c.cancel();
    await app?.close();
    await hub?.stop();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('500 reports of 100 KB: the store grows by little, every report is accounted for, and both agents’ statuses and heartbeats are folded', async () => {
    const attacker = await connect('attacker');
    const bystander = await connect('bystander');
    const before = storeBytes();
    const started = new Date().toISOString();
    for (let i = 1; i <= REPORTS; i++) {
      attacker.write(drift(i));
      if (i % 100 === 0) attacker.write({ heartbeat: {} });
    }
    bystander.write({ heartbeat: {} });
    bystander.write(ready);
    // Last on its stream: folded once every report before it was taken in.
    attacker.write(ready);
    await expect.poll(() => deployment('bystander')?.state, { timeout: 20_000 }).toBe('Ready');
    await expect.poll(() => deployment('attacker')?.state, { timeout: 60_000 }).toBe('Ready');
    for (const cluster of ['attacker', 'bystander']) {
      await expect
        .poll(() => (store.clusters.get(cluster)?.lastSeenAt ?? '') > started, { timeout: 10_000 })
        .toBe(true);
    }

    // Over the cluster's rate the reports of this one object were coalesced, not lost: the one held
    // comes back (within a token's time, 5 s) saying how many it stands for.
    const drifts = () => store.events.list({ kind: 'DriftDetected', limit: 10_000 });
    const accounted = () =>
      drifts().reduce((n, e) => n + 1 + ((e.payload.suppressed as { reports?: number })?.reports ?? 0), 0);
    await expect.poll(accounted, { timeout: 20_000 }).toBe(REPORTS);
    const recorded = drifts();
    expect(recorded.length).toBeLessThanOrEqual(202);
    for (const e of recorded) {
      expect(Buffer.byteLength(JSON.stringify(e.payload))).toBeLessThanOrEqual(8192);
      expect(e.payload).toMatchObject({ object: 'ConfigMap/shop/web', manager: 'attacker', truncated: true });
      expect((e.payload.fields as { path: string }[]).map((f) => f.path)).toEqual(['/data/payload']);
    }
    const metric = store.events.counts().find((c) => c.counter === 'driftIncidents' && c.environment === 'prod');
    expect(metric?.count).toBe(REPORTS);

    // 53 MiB before the limits. Now 201 reports of at most 8 KiB and their indexes, about 2 MiB in
    // hub.db, plus what the WAL holds until SQLite checkpoints it (1,000 pages, and the last batch).
    const growth = storeBytes() - before;
    expect(growth).toBeLessThan(12 * MiB);

    // The history is served a page at a time, each page small, and all of it can be read.
    const first = await get('/drift?history=true');
    expect(first.bytes).toBeLessThan(MiB);
    expect(first.body.items.length).toBeLessThanOrEqual(100);
    expect(first.body.more).toBe(true);
    let items = first.body.items.length;
    let next = first.body.next;
    while (next?.before) {
      const page = await get(`/drift?history=true&before=${next.before}`);
      expect(page.bytes).toBeLessThan(MiB);
      items += page.body.items.length;
      next = page.body.more ? page.body.next : undefined;
    }
    expect(items).toBe(recorded.length);
    const current = await get('/drift');
    expect(current.body.items.map((d) => [d.cluster, d.object, d.suppressed])).toEqual([
      ['attacker', 'ConfigMap/shop/web', REPORTS - 201],
    ]);
    process.stdout.write(
      `finding 9: ${REPORTS} reports of ${VALUE.length} bytes -> ${recorded.length} events, store +${(growth / MiB).toFixed(2)} MiB, ` +
        `first history page ${first.bytes} bytes\n`,
    );
  });
});
