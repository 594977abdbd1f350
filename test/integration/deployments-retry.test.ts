import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HubConnection } from '@flotilla/agent';
import { SecretBox, api, bundle as hubBundle, protocol, status, store as hubStore } from '@flotilla/hub';
import type { BundleStateName } from '@flotilla/proto';
import type { DeploymentView, RetryRequested } from '@flotilla/proto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../harness/memory-cluster.js';
import { waitFor } from '../harness/wait.js';

/**
 * POST /api/v1/deployments/retry (issue #19, item 3) on a real store, a real gRPC transport and a
 * real agent session: who may ask, which deployments it picks, and that the connected agent hears it.
 * The whole path on a cluster: test/integration/kube/apply-retry.test.ts.
 */
describe('POST /deployments/retry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-retry-api-'));
  let store: hubStore.Store;
  let grpc: protocol.GrpcHub;
  let app: FastifyInstance;
  let base: string;
  let agent: HubConnection;
  let running: Promise<void>;
  const sink = new MemoryCluster();
  const tokens: Record<'admin' | 'operator' | 'viewer', string> = { admin: '', operator: '', viewer: '' };

  const call = async <T>(body: unknown, as: keyof typeof tokens = 'operator') => {
    const res = await fetch(`${base}/api/v1/deployments/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[as]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const report = (cluster: string, target: string, state: BundleStateName) => {
    const d = store.deployments.get({ cluster, target, environment: 'dev' })!;
    status.foldStatus(store, { cluster, target, environment: 'dev', generation: d.generation, state });
  };

  beforeAll(async () => {
    store = hubStore.openStore(join(dir, 'hub.db'));
    const b = hubBundle.canonicalize([{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } } }]);
    store.bundles.put({ digest: b.digest, content: b.bytes, objectCount: 1 });
    store.repos.put({ name: 'config', url: 'http://git.invalid/config.git', pollIntervalSeconds: 60 });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', selector: 'env=dev' });
    for (const t of ['web', 'db']) store.targets.put({ name: t, repo: 'config', path: t, environments: ['dev'] });
    grpc = await protocol.startGrpcServer({ store, address: '127.0.0.1:0' });
    for (const c of ['alpha', 'beta']) {
      const { token } = protocol.mintRegistrationToken(store, { cluster: c, labels: { env: 'dev' } });
      if (c === 'alpha') {
        agent = new HubConnection(
          {
            address: `127.0.0.1:${grpc.port}`,
            clusterName: c,
            credentialFile: join(dir, 'alpha', 'credential'),
            token,
            random: () => 0,
          },
          sink,
        );
        running = agent.run();
      } else {
        store.clusters.create({ name: c, labels: { env: 'dev' } });
      }
    }
    await waitFor(() => grpc.connectedClusters().includes('alpha'), { what: 'alpha connected', timeoutMs: 15_000 });
    for (const c of ['alpha', 'beta'])
      for (const t of ['web', 'db'])
        store.deployments.setDesired({ cluster: c, target: t, environment: 'dev', bundle: b.digest });
    grpc.notify('alpha');
    await waitFor(() => sink.deployments().length === 2, { what: 'both bundles applied on alpha', timeoutMs: 15_000 });
    app = await api.buildServer({
      store,
      secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')),
      trigger: () => false,
      agents: grpc,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const role of ['admin', 'operator', 'viewer'] as const)
      tokens[role] = api.mintApiToken(store, { name: role, role, createdBy: 'test' }).token;
  });

  afterAll(async () => {
    await agent?.stop();
    await running;
    await app?.close();
    await grpc?.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs the operator role: a viewer is refused, naming it', async () => {
    const r = await call<{ code: string; message: string }>({}, 'viewer');
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/operator/);
    expect(sink.retried).toEqual([]);
  });

  it('picks the deployments that are not Ready; the connected agent applies them again at once', async () => {
    report('alpha', 'web', 'ErrApplied');
    report('alpha', 'db', 'Ready');
    report('beta', 'web', 'ErrApplied');
    const r = await call<{ items: RetryRequested[] }>({ target: 'web' });
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      { cluster: 'alpha', target: 'web', environment: 'dev', state: 'ErrApplied', connected: true },
      { cluster: 'beta', target: 'web', environment: 'dev', state: 'ErrApplied', connected: false },
    ]);
    await expect.poll(() => sink.retried, { timeout: 15_000 }).toEqual(['dev/web']);
    // Asked twice for beta (once here, once below): its agent sees the count move when it connects.
    const list = await fetch(`${base}/api/v1/deployments?cluster=beta&target=web`, {
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(((await list.json()) as { items: DeploymentView[] }).items[0]?.state).toBe('ErrApplied');
    expect(store.deployments.get({ cluster: 'beta', target: 'web', environment: 'dev' })?.retryRequests).toBe(1);
    expect(store.events.list({ kind: 'RetryRequested' }).map((e) => [e.actor, e.payload])).toEqual([
      ['operator', { count: 2, deployments: ['alpha/dev/web', 'beta/dev/web'] }],
    ]);
  });

  it('takes a state to pick by, Ready included; nothing matching is an empty answer', async () => {
    // The agent's report after the retry (its bundle applies: Ready) reached the hub.
    await expect
      .poll(() => store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })?.state)
      .toBe('Ready');
    const ready = await call<{ items: RetryRequested[] }>({ cluster: 'alpha', state: 'Ready' });
    expect(ready.body.items.map((d) => d.target)).toEqual(['db', 'web']);
    await expect.poll(() => sink.retried, { timeout: 15_000 }).toEqual(['dev/web', 'dev/db', 'dev/web']);
    expect((await call<{ items: unknown[] }>({ cluster: 'alpha', target: 'db' })).body.items).toEqual([]);
  });

  it('names a cluster, target or environment that does not exist, and an unknown field', async () => {
    const missing = await call<{ code: string; message: string; hint: string }>({ cluster: 'gamma' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      message: 'cluster "gamma" does not exist',
      hint: 'see `fleet clusters list`',
    });
    expect((await call<{ message: string }>({ environment: 'prod' })).body.message).toBe(
      'environment "prod" does not exist',
    );
    const unknown = await call<{ code: string; message: string }>({ clusters: ['alpha'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/clusters/);
    expect((await call<{ message: string }>({ state: 'Broken' })).status).toBe(400);
  });
});
