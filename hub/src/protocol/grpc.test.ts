import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type BundleChunk__Output, type HubMessage__Output } from '@flotilla/proto';
import { loadFlotillaProto } from '@flotilla/proto/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../bundle/index.js';
import { openStore, type Store } from '../store/index.js';
import { startGrpcServer, type GrpcHub } from './grpc-server.js';
import { authenticate, mintRegistrationToken, register } from './registration.js';

const proto = loadFlotillaProto().flotilla.v1;

function bundleOf(name: string, n = 1) {
  return canonicalize(
    Array.from({ length: n }, (_, i) => ({
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${name}-${i}` },
        data: { pad: 'x'.repeat(200) },
      },
    })),
  );
}

describe('hub gRPC: registration, desired state, bundle fetch (real sockets)', () => {
  let dir: string;
  let store: Store;
  let hub: GrpcHub;
  let addr: string;
  const creds: Record<string, string> = {};
  const alphaBundle = bundleOf('alpha', 200);
  const betaBundle = bundleOf('beta');

  const md = (credential: string) => {
    const m = new grpc.Metadata();
    m.set('authorization', `Bearer ${credential}`);
    return m;
  };
  const registration = () => new proto.Registration(addr, grpc.credentials.createInsecure());
  const agent = () => new proto.AgentService(addr, grpc.credentials.createInsecure());
  const registerWith = (token: string, clusterName: string, retryKey = '') =>
    new Promise<{ credential: string; clusterId: string }>((resolve, reject) =>
      registration().Register({ token, clusterName, agentVersion: 'test', retryKey }, (err, res) =>
        err ? reject(err) : resolve({ credential: res!.credential, clusterId: res!.clusterId }),
      ),
    );
  const fetchAll = (credential: string, digest: string) =>
    new Promise<BundleChunk__Output[]>((resolve, reject) => {
      const chunks: BundleChunk__Output[] = [];
      const call = agent().FetchBundle({ digest, offset: 0 }, md(credential));
      call.on('data', (c: BundleChunk__Output) => chunks.push(c));
      call.on('error', reject);
      call.on('end', () => resolve(chunks));
    });
  const desire = (cluster: string, digest: string, target: string) => {
    store.deployments.setDesired({ cluster, target, environment: 'dev', bundle: digest, options: { selfHeal: true } });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-grpc-'));
    store = openStore(join(dir, 'hub.db'));
    hub = await startGrpcServer({ store, address: '127.0.0.1:0', chunkBytes: 4096 });
    addr = `127.0.0.1:${hub.port}`;
    for (const b of [alphaBundle, betaBundle])
      store.bundles.put({ digest: b.digest, content: b.bytes, objectCount: b.objects.length });
    store.repos.put({ name: 'config', url: 'http://git.invalid/config.git', pollIntervalSeconds: 60 });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', selector: 'env=dev' });
    store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
    store.targets.put({ name: 'db', repo: 'config', path: 'apps/db', environments: ['dev'] });
  });

  afterAll(async () => {
    await hub?.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trades a one-time token for a credential, and refuses replayed, unknown, expired and misnamed tokens', async () => {
    for (const c of ['alpha', 'beta']) {
      const { token } = mintRegistrationToken(store, { cluster: c, labels: { env: 'dev' } });
      const r = await registerWith(token, c);
      expect(r.clusterId).toBe(c);
      expect(r.credential).toMatch(/^flagt_/);
      creds[c] = r.credential;
      // Replayed: the same token again.
      await expect(registerWith(token, c)).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
        details: expect.stringContaining('TOKEN_USED'),
      });
    }
    expect(store.clusters.get('alpha')?.credentialHash).not.toContain(creds.alpha);
    await expect(registerWith('flreg_forged', 'alpha')).rejects.toMatchObject({
      details: expect.stringContaining('TOKEN_UNKNOWN'),
    });
    const expired = mintRegistrationToken(store, { cluster: 'gamma', ttlSeconds: -1 });
    await expect(registerWith(expired.token, 'gamma')).rejects.toMatchObject({
      details: expect.stringContaining('TOKEN_EXPIRED'),
    });
    const other = mintRegistrationToken(store, { cluster: 'gamma' });
    await expect(registerWith(other.token, 'alpha')).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining('is for cluster gamma'),
    });
  });

  it('answers a retried registration (same retry key) with a fresh credential, and only that retry', async () => {
    const { token } = mintRegistrationToken(store, { cluster: 'delta', labels: { env: 'dev' }, ttlSeconds: 60 });
    const first = await registerWith(token, 'delta', 'key-of-this-agent-process');
    // The answer was "lost": the agent retries with the same token and key.
    const retry = await registerWith(token, 'delta', 'key-of-this-agent-process');
    expect(retry.credential).toMatch(/^flagt_/);
    expect(retry.credential).not.toBe(first.credential);
    // Only the latest credential works: the lost one is never usable by whoever might have seen it.
    expect(authenticate(store, retry.credential).name).toBe('delta');
    expect(() => authenticate(store, first.credential)).toThrow(/CREDENTIAL_UNKNOWN|not known/);
    // Another key, or none, is a replay.
    for (const key of ['another-agent', '']) {
      await expect(registerWith(token, 'delta', key)).rejects.toMatchObject({
        details: expect.stringMatching(/TOKEN_USED: .*already used at .* fleet clusters register delta/),
      });
    }
    expect(store.events.list({ cluster: 'delta' }).filter((e) => e.kind === 'ClusterRegistered')).toHaveLength(2);
  });

  it('refuses a retried registration once the token has expired', async () => {
    const { token } = mintRegistrationToken(store, { cluster: 'epsilon', ttlSeconds: 60 });
    const later = new Date(Date.now() + 120_000);
    register(store, { token, clusterName: 'epsilon', retryKey: 'k' });
    expect(() => register(store, { token, clusterName: 'epsilon', retryKey: 'k' }, later)).toThrow(
      /epsilon expired at/,
    );
  });

  it('says whether a registration changed what decides placements', () => {
    const mint = (labels: Record<string, string> = {}) =>
      mintRegistrationToken(store, { cluster: 'zeta', labels }).token;
    const reg = (token: string, kubernetesVersion = 'v1.31.0') =>
      register(store, { token, clusterName: 'zeta', kubernetesVersion });
    expect(reg(mint({ env: 'dev' })).placementChanged).toBe(true); // new
    expect(reg(mint({ env: 'dev' })).placementChanged).toBe(false); // same labels, same version
    expect(reg(mint()).placementChanged).toBe(false); // a token without labels keeps them
    expect(reg(mint({ env: 'prod' })).placementChanged).toBe(true); // relabelled
    expect(reg(mint({ env: 'prod' }), 'v1.32.0').placementChanged).toBe(true); // upgraded
    store.clusters.revoke('zeta');
    expect(reg(mint({ env: 'prod' }), 'v1.32.0').placementChanged).toBe(true); // readmitted
  });

  it('announces desired state on hello, answers "unchanged" in a few bytes, and pushes changes', async () => {
    desire('alpha', alphaBundle.digest, 'web');
    const call = agent().Connect(md(creds.alpha!));
    const got: HubMessage__Output[] = [];
    call.on('data', (m: HubMessage__Output) => got.push(m));
    call.write({ hello: { clusterId: 'alpha', agentVersion: 'test', held: [] } });
    await expect.poll(() => got.filter((m) => m.desired).length).toBe(1);
    expect(got[0]?.welcome?.clusterId).toBe('alpha');
    const first = got.find((m) => m.desired)!.desired!;
    expect(first.deployments.map((r) => [r.deployment, r.digest, r.options?.selfHeal])).toEqual([
      ['dev/web', alphaBundle.digest, true],
    ]);

    desire('alpha', betaBundle.digest, 'db');
    hub.notify('alpha');
    await expect.poll(() => got.filter((m) => m.desired).length).toBe(2);
    const second = got.filter((m) => m.desired)[1]!.desired!;
    expect(second.deployments).toHaveLength(2);

    call.write({
      status: { deployment: 'dev/web', digest: alphaBundle.digest, generation: 1, state: 'BUNDLE_STATE_READY' },
    });
    await expect
      .poll(() => store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })?.state)
      .toBe('Ready');
    call.write({
      drift: {
        deployment: 'dev/web',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
        fields: [{ path: '/spec/replicas', desiredJson: '2', liveJson: '5' }],
        manager: 'kubectl-scale',
        changedAtUnixMs: 1000,
        detectedAtUnixMs: 2000,
        corrected: true,
      },
    });
    await expect
      .poll(() => store.events.list({ kind: 'DriftCorrected' }).map((e) => [e.cluster, e.target, e.payload.manager]))
      .toEqual([['alpha', 'web', 'kubectl-scale']]);
    expect(store.events.list({ kind: 'DriftCorrected' })[0]?.payload).toMatchObject({
      object: 'Deployment/shop/web',
      fields: [{ path: '/spec/replicas', desired: '2', live: '5' }],
    });
    call.end();

    // Reconnect saying what it applied: the answer names no deployment.
    const again = agent().Connect(md(creds.alpha!));
    const msgs: HubMessage__Output[] = [];
    again.on('data', (m: HubMessage__Output) => msgs.push(m));
    again.write({ hello: { clusterId: 'alpha', appliedGeneration: second.generation } });
    await expect.poll(() => msgs.find((m) => m.desired)).toBeTruthy();
    const unchanged = msgs.find((m) => m.desired)!.desired!;
    expect(unchanged).toMatchObject({ unchanged: true, deployments: [], generation: second.generation });
    const wire = proto.AgentService.service.Connect.responseSerialize({ desired: unchanged });
    expect(wire.length).toBeLessThanOrEqual(32);
    again.end();
  });

  it('folds a batch of statuses sent in one message, each on its own', async () => {
    // alpha has dev/web and dev/db (the test above); one message reports both, plus a deployment of
    // another environment that alpha does not run.
    const call = agent().Connect(md(creds.alpha!));
    const got: HubMessage__Output[] = [];
    call.on('data', (m: HubMessage__Output) => got.push(m));
    call.write({ hello: { clusterId: 'alpha', agentVersion: 'test' } });
    await expect.poll(() => got.find((m) => m.welcome)).toBeTruthy();
    expect(got.find((m) => m.welcome)?.welcome?.statusBatches).toBe(true);
    const gen = (target: string) => store.deployments.get({ cluster: 'alpha', target, environment: 'dev' })!.generation;
    call.write({
      statuses: {
        statuses: [
          { deployment: 'dev/web', generation: gen('web'), state: 'BUNDLE_STATE_NOT_READY', message: 'batched web' },
          { deployment: 'dev/nowhere', generation: 1, state: 'BUNDLE_STATE_READY', message: 'not alpha’s' },
          { deployment: 'dev/db', generation: gen('db'), state: 'BUNDLE_STATE_ERR_APPLIED', message: 'batched db' },
        ],
      },
    });
    await expect
      .poll(() =>
        ['web', 'db'].map((t) => {
          const d = store.deployments.get({ cluster: 'alpha', target: t, environment: 'dev' })!;
          return [d.state, d.message];
        }),
      )
      .toEqual([
        ['NotReady', 'batched web'],
        ['ErrApplied', 'batched db'],
      ]);
    // The batch's settling status recorded the rollout's outcome, as a status alone would.
    expect(
      store.events.list({ kind: 'Applied', cluster: 'alpha', target: 'db' }).map((e) => e.payload.state),
    ).toContain('ErrApplied');
    call.end();
  });

  it('streams a bundle in chunks that hash to its digest, and only to a cluster that wants it', async () => {
    const chunks = await fetchAll(creds.alpha!, alphaBundle.digest);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.at(-1)?.last).toBe(true);
    const bytes = Buffer.concat(chunks.map((c) => c.data));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(alphaBundle.digest);

    desire('beta', betaBundle.digest, 'db');
    // beta knows alpha's digest, but alpha's bundle is not desired on beta.
    await expect(fetchAll(creds.beta!, alphaBundle.digest)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining('cluster beta may not fetch bundle'),
    });
  });

  it('refuses a revoked, rotated or missing credential', async () => {
    const connectError = (m: grpc.Metadata) =>
      new Promise<grpc.ServiceError>((resolve) => {
        const call = agent().Connect(m);
        call.on('error', resolve);
        call.on('data', () => undefined);
        call.write({ hello: {} });
      });
    store.clusters.revoke('beta');
    expect(await connectError(md(creds.beta!))).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringMatching(/^CREDENTIAL_REVOKED: cluster beta's credential was revoked at /),
    });
    expect((await connectError(new grpc.Metadata())).details).toContain('CREDENTIAL_MISSING');

    const { token } = mintRegistrationToken(store, { cluster: 'alpha' });
    const rotated = await registerWith(token, 'alpha');
    expect((await connectError(md(creds.alpha!))).details).toContain('CREDENTIAL_UNKNOWN');
    expect((await fetchAll(rotated.credential, alphaBundle.digest)).at(-1)?.last).toBe(true);
  });
});
