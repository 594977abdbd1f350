import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSession } from '@flotilla/agent';
import { deploymentId } from '@flotilla/common';
import { bundle as hubBundle, protocol, store as hubStore } from '@flotilla/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../harness/memory-cluster.js';
import { grpcFixture, natsFixture, natsJwtSetup, type TransportFixture } from '../harness/transports.js';

/** A canonical bundle of `n` ConfigMaps, as the hub renders and stores it. */
function bundleOf(name: string, n = 1, pad = 200) {
  return hubBundle.canonicalize(
    Array.from({ length: n }, (_, i) => ({
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${name}-${i}` },
        data: { pad: 'x'.repeat(pad) },
      },
    })),
  );
}

interface Agent {
  session: AgentSession;
  sink: MemoryCluster;
  events: { name: string; detail?: Record<string, unknown> }[];
  running: Promise<void>;
}

const FIXTURES: ((dir: string) => TransportFixture)[] = [
  () => grpcFixture(),
  (dir) => natsFixture({ dir, secure: natsJwtSetup }),
  // A trusted network without NATS auth: the hub's own checks (credential, subject, digest) still hold.
  (dir) => natsFixture({ dir }),
];

describe.each(FIXTURES.map((f) => [f]))('transport conformance', (makeFixture) => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-conformance-'));
  const fx = makeFixture(dir);
  let store: hubStore.Store;
  const agents = new Map<string, Agent>();
  const sinks = new Map<string, MemoryCluster>();
  const tokens = new Map<string, string>();
  const web = bundleOf('web', 200);
  const db = bundleOf('db');
  const web2 = bundleOf('web-v2', 3);
  const big = bundleOf('big', 1500, 35_000);

  const desire = (cluster: string, digest: string, target: string) =>
    store.deployments.setDesired({ cluster, target, environment: 'dev', bundle: digest, options: { selfHeal: true } });
  const startAgent = (cluster: string, o: { token?: string; dir?: string } = {}): Agent => {
    const sink = sinks.get(cluster) ?? new MemoryCluster();
    sinks.set(cluster, sink);
    const events: Agent['events'] = [];
    const session = fx.agent({
      cluster,
      dir: o.dir ?? join(dir, `agent-${cluster}`),
      sink,
      ...(o.token ? { token: o.token } : {}),
      onEvent: (name, detail) => events.push({ name, ...(detail ? { detail } : {}) }),
    });
    const a: Agent = { session, sink, events, running: session.run() };
    agents.set(cluster, a);
    return a;
  };
  const stopAgent = async (cluster: string) => {
    const a = agents.get(cluster);
    agents.delete(cluster);
    await a?.session.stop();
    await a?.running;
  };
  const count = (a: Agent, name: string) => a.events.filter((e) => e.name === name).length;
  const state = (cluster: string, target: string) =>
    store.deployments.get({ cluster, target, environment: 'dev' })?.state;

  beforeAll(async () => {
    store = hubStore.openStore(join(dir, 'hub.db'));
    for (const b of [web, db, web2, big])
      store.bundles.put({ digest: b.digest, content: b.bytes, objectCount: b.objects.length });
    store.repos.put({ name: 'config', url: 'http://git.invalid/config.git', pollIntervalSeconds: 60 });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', selector: 'env=dev' });
    for (const t of ['web', 'db', 'big'])
      store.targets.put({ name: t, repo: 'config', path: `apps/${t}`, environments: ['dev'] });
    await fx.startHub(store, { heartbeatSeconds: 1 });
  });

  afterAll(async () => {
    for (const c of [...agents.keys()]) await stopAgent(c);
    await fx.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${fx.label}: trades a one-time token for a credential; a replayed token is refused`, async () => {
    for (const c of ['alpha', 'beta']) {
      const { token } = protocol.mintRegistrationToken(store, { cluster: c, labels: { env: 'dev' } });
      tokens.set(c, token);
      const a = startAgent(c, { token });
      await expect.poll(() => count(a, 'connected'), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(store.clusters.get(c)?.labels).toEqual({ env: 'dev' });
    }
    const replay = fx.agent({
      cluster: 'alpha',
      dir: join(dir, 'replay'),
      sink: new MemoryCluster(),
      token: tokens.get('alpha')!,
    });
    await expect(replay.credential()).rejects.toThrow(/TOKEN_USED/);
  });

  it(`${fx.label}: pushes desired state on change; the agent fetches the bundle by digest and verifies it`, async () => {
    const alpha = agents.get('alpha')!;
    desire('alpha', web.digest, 'web');
    await fx.notify('alpha');
    await expect.poll(() => alpha.sink.applied.get('dev/web')?.digest, { timeout: 15_000 }).toBe(web.digest);
    // The DeploymentRef names the deployment (environment/target); its digest names the bundle.
    expect([...alpha.sink.applied.values()].map((b) => [b.deployment, b.digest])).toEqual([
      [deploymentId('dev', 'web'), web.digest],
    ]);
    expect(alpha.sink.applied.get('dev/web')?.objects.map((o) => o.metadata.name)).toEqual(
      web.objects.map((o) => (o.metadata as { name: string }).name),
    );
    const bytes = await alpha.session.fetchBundle(web.digest);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(web.digest);
  });

  it(`${fx.label}: status folds into the deployment, drift becomes an event, heartbeats move last-seen`, async () => {
    const alpha = agents.get('alpha')!;
    await expect.poll(() => state('alpha', 'web'), { timeout: 15_000 }).toBe('Ready');
    // Every object counted; all ready, so none listed (nor sent).
    expect(store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })?.objects).toStrictEqual({
      total: web.objects.length,
      ready: web.objects.length,
      notReady: [],
    });
    alpha.session.drift({
      deployment: 'dev/web',
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      fields: [{ path: '/spec/replicas', desired: 2, live: 5 }],
      manager: 'kubectl-scale',
      changedAt: 1000,
      detectedAt: 2000,
      corrected: true,
    });
    await expect
      .poll(
        () =>
          store.events
            .list({ kind: 'DriftCorrected' })
            .map((e) => [e.cluster, e.environment, e.target, e.payload.manager]),
        { timeout: 15_000 },
      )
      .toEqual([['alpha', 'dev', 'web', 'kubectl-scale']]);
    const seen = store.clusters.get('alpha')?.lastSeenAt;
    await expect.poll(() => store.clusters.get('alpha')?.lastSeenAt, { timeout: 5000 }).not.toBe(seen);
  });

  it(`${fx.label}: per-object health reaches the hub: the objects holding a deployment back, worst first`, async () => {
    const alpha = agents.get('alpha')!;
    const objectRef = (kind: string, name: string) => ({ apiVersion: 'v1', kind, namespace: 'shop', name });
    const ready = web.objects.slice(2).map((o) => ({
      ref: objectRef('ConfigMap', (o.metadata as { name: string }).name),
      change: 'unchanged' as const,
      reason: '',
      health: 'Ready' as const,
      message: '',
      state: 'Ready' as const,
    }));
    alpha.session.report({
      deployment: 'dev/web',
      digest: web.digest,
      state: 'ErrApplied',
      message: 'ConfigMap/shop/web-1: field is immutable',
      objects: [
        {
          ref: objectRef('ConfigMap', 'web-0'),
          change: 'configured',
          reason: '',
          health: 'InProgress',
          message: 'waiting for the controller',
          state: 'NotReady',
        },
        {
          ref: objectRef('ConfigMap', 'web-1'),
          change: 'failed',
          reason: '',
          health: 'Unknown',
          message: 'field is immutable',
          state: 'ErrApplied',
        },
        ...ready,
      ],
      drift: [],
      observedAt: Date.now(),
    });
    const key = { cluster: 'alpha', target: 'web', environment: 'dev' };
    await expect.poll(() => store.deployments.get(key)?.state, { timeout: 15_000 }).toBe('ErrApplied');
    expect(store.deployments.get(key)?.objects).toStrictEqual({
      total: web.objects.length,
      ready: web.objects.length - 2,
      notReady: [
        {
          ...objectRef('ConfigMap', 'web-1'),
          state: 'ErrApplied',
          health: 'Unknown',
          change: 'failed',
          message: 'field is immutable',
        },
        {
          ...objectRef('ConfigMap', 'web-0'),
          state: 'NotReady',
          health: 'InProgress',
          change: 'configured',
          message: 'waiting for the controller',
        },
      ],
    });
    // Healthy again: the agent's own report, every object ready.
    alpha.session.report(alpha.sink.report('dev/web')!);
    await expect.poll(() => store.deployments.get(key)?.objects?.ready, { timeout: 15_000 }).toBe(web.objects.length);
    expect(store.deployments.get(key)?.state).toBe('Ready');
  });

  it(`${fx.label}: a DeploymentStatus or DriftReport counts only for a deployment of the sender's own cluster`, async () => {
    const alpha = agents.get('alpha')!;
    const key = { cluster: 'alpha', target: 'web', environment: 'dev' };
    const report = (deployment: string, message: string) =>
      alpha.session.report({
        deployment,
        state: 'ErrApplied',
        message,
        objects: [],
        drift: [],
        observedAt: Date.now(),
      });
    const drift = (deployment: string, manager: string) =>
      alpha.session.drift({
        deployment,
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web-0' },
        fields: [{ path: '/data/pad', desired: 'x', live: 'y' }],
        manager,
        changedAt: 1000,
        detectedAt: 2000,
        corrected: false,
      });
    // Not alpha's (db is not desired there yet, prod is no environment), and not deployment ids at all.
    for (const id of ['dev/db', 'prod/web', 'web', 'dev/web/extra', '/web', 'dev/', '']) {
      report(id, `not alpha's: ${id}`);
      drift(id, `not alpha's: ${id}`);
    }
    report(deploymentId('dev', 'web'), 'named by its deployment');
    drift(deploymentId('dev', 'web'), 'named by its deployment');
    await expect.poll(() => store.deployments.get(key)?.message, { timeout: 15_000 }).toBe('named by its deployment');
    await expect
      .poll(
        () =>
          store.events
            .list({ kind: 'DriftDetected', cluster: 'alpha' })
            .map((e) => [e.environment, e.target, e.payload.manager]),
        { timeout: 15_000 },
      )
      .toEqual([['dev', 'web', 'named by its deployment']]);
    expect(store.deployments.list({ cluster: 'alpha' }).map((d) => deploymentId(d.environment, d.target))).toEqual([
      'dev/web',
    ]);
    expect(store.deployments.list().filter((d) => d.message.startsWith("not alpha's"))).toEqual([]);
    // Healthy again, as the next tests expect.
    alpha.session.report(alpha.sink.report('dev/web')!);
    await expect.poll(() => store.deployments.get(key)?.state, { timeout: 15_000 }).toBe('Ready');
  });

  it(`${fx.label}: a burst of byte-identical reports from many clusters at once folds every cluster's`, async () => {
    const fleet = Array.from({ length: 16 }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
    for (const c of fleet) {
      const { token } = protocol.mintRegistrationToken(store, { cluster: c, labels: { env: 'dev' } });
      startAgent(c, { token });
    }
    await expect
      .poll(() => fleet.filter((c) => count(agents.get(c)!, 'connected') > 0).length, { timeout: 30_000 })
      .toBe(fleet.length);
    for (const c of fleet) desire(c, db.digest, 'db');
    await fx.notify();
    await expect
      .poll(() => fleet.filter((c) => state(c, 'db') === 'Ready').length, { timeout: 30_000 })
      .toBe(fleet.length);
    // The same bundle, digest, state and time on every cluster: only the cluster sending tells two apart.
    const observedAt = Date.now();
    for (const c of fleet) {
      agents.get(c)!.session.report({
        deployment: 'dev/db',
        digest: db.digest,
        state: 'Ready',
        message: 'burst',
        objects: [],
        drift: [],
        observedAt,
      });
    }
    const folded = () =>
      fleet.filter((c) => store.deployments.get({ cluster: c, target: 'db', environment: 'dev' })?.message === 'burst');
    await expect.poll(() => folded().length, { timeout: 15_000 }).toBe(fleet.length);
    for (const c of fleet) await stopAgent(c);
  });

  it(`${fx.label}: statuses reported together travel in one message; each deployment folds its own`, async () => {
    const { token } = protocol.mintRegistrationToken(store, { cluster: 'batcher', labels: { env: 'dev' } });
    const a = startAgent('batcher', { token });
    await expect.poll(() => count(a, 'connected'), { timeout: 15_000 }).toBeGreaterThan(0);
    desire('batcher', web2.digest, 'web');
    desire('batcher', db.digest, 'db');
    await fx.notify('batcher');
    await expect
      .poll(() => [state('batcher', 'web'), state('batcher', 'db')], { timeout: 15_000 })
      .toEqual(['Ready', 'Ready']);
    const report = (deployment: string, message: string) =>
      a.session.report({ deployment, state: 'NotReady', message, objects: [], drift: [], observedAt: Date.now() });
    report('dev/web', 'web together');
    report('dev/db', 'db together');
    await expect
      .poll(
        () =>
          ['web', 'db'].map(
            (t) => store.deployments.get({ cluster: 'batcher', target: t, environment: 'dev' })?.message,
          ),
        {
          timeout: 15_000,
        },
      )
      .toEqual(['web together', 'db together']);
    expect(a.events.filter((e) => e.name === 'statusesBatched').map((e) => e.detail)).toContainEqual({
      statuses: 2,
      messages: 1,
    });
    await stopAgent('batcher');
  });

  it(`${fx.label}: refuses a bundle not desired on the asking cluster, even to an agent that knows its digest`, async () => {
    desire('beta', db.digest, 'db');
    await fx.notify('beta');
    const beta = agents.get('beta')!;
    await expect.poll(() => beta.sink.applied.get('dev/db')?.digest, { timeout: 15_000 }).toBe(db.digest);
    await expect(beta.session.fetchBundle(web.digest)).rejects.toThrow(
      /BUNDLE_NOT_DESIRED: cluster beta may not fetch bundle/,
    );
  });

  it(`${fx.label}: a retry asked for on the hub reaches the agent, which applies the bundle again, no bytes fetched`, async () => {
    const beta = agents.get('beta')!;
    const fetched = count(beta, 'bundleFetched');
    // What `POST /deployments/retry` does: the store first, then the transport.
    store.deployments.requestRetry([{ cluster: 'beta', target: 'db', environment: 'dev' }]);
    await fx.notify('beta');
    await expect.poll(() => beta.sink.retried, { timeout: 15_000 }).toEqual(['dev/db']);
    store.deployments.requestRetry([{ cluster: 'beta', target: 'db', environment: 'dev' }]);
    await fx.notify('beta');
    await expect.poll(() => beta.sink.retried, { timeout: 15_000 }).toEqual(['dev/db', 'dev/db']);
    expect(count(beta, 'retryRequested')).toBe(2);
    expect(count(beta, 'bundleFetched')).toBe(fetched);
    expect(beta.sink.received.filter((b) => b.deployment === 'dev/db')).toHaveLength(1);
  });

  it(`${fx.label}: a restarted agent holding the current state exchanges hashes only, fetching no bytes`, async () => {
    await stopAgent('alpha');
    const again = startAgent('alpha');
    await expect.poll(() => count(again, 'unchanged'), { timeout: 15_000 }).toBe(1);
    expect(count(again, 'bundleFetched')).toBe(0);
    expect(again.sink.received.filter((b) => b.deployment === 'dev/web')).toHaveLength(1);
  });

  it(`${fx.label}: an agent offline while desired state changes converges when it reconnects`, async () => {
    await stopAgent('alpha');
    desire('alpha', db.digest, 'db');
    await fx.notify('alpha');
    const again = startAgent('alpha');
    await expect.poll(() => again.sink.applied.get('dev/db')?.digest, { timeout: 15_000 }).toBe(db.digest);
    expect(count(again, 'bundleFetched')).toBe(1);
  });

  it(`${fx.label}: after the transport restarts, the agent recovers and receives what changed`, async () => {
    const alpha = agents.get('alpha')!;
    await fx.restartTransport();
    desire('alpha', web2.digest, 'web');
    await fx.notify('alpha');
    await expect
      .poll(
        async () => {
          await fx.notify('alpha');
          return alpha.sink.applied.get('dev/web')?.digest;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(web2.digest);
    await expect.poll(() => state('alpha', 'web'), { timeout: 15_000 }).toBe('Ready');
  });

  it(`${fx.label}: a target's custom health rules (CEL) reach the agent with the bundle's options`, async () => {
    const alpha = agents.get('alpha')!;
    const rule = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
      inProgress: '',
      failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False')",
    };
    const options = { selfHeal: true, healthChecks: [rule] };
    store.deployments.setDesired({ cluster: 'alpha', target: 'web', environment: 'dev', bundle: web2.digest, options });
    await fx.notify('alpha');
    await expect
      .poll(() => alpha.sink.applied.get('dev/web')?.options.healthChecks, { timeout: 15_000 })
      .toEqual([rule]);
    desire('alpha', web2.digest, 'web');
    await fx.notify('alpha');
    await expect
      .poll(() => alpha.sink.applied.get('dev/web')?.options.healthChecks, { timeout: 15_000 })
      .toBeUndefined();
  });

  it(`${fx.label}: a bundle of more than 50 MB arrives intact, in chunks`, async () => {
    expect(big.bytes.length).toBeGreaterThan(50 * 1024 * 1024);
    const alpha = agents.get('alpha')!;
    desire('alpha', big.digest, 'big');
    await fx.notify('alpha');
    await expect.poll(() => alpha.sink.applied.get('dev/big')?.digest, { timeout: 30_000 }).toBe(big.digest);
    expect(alpha.sink.applied.get('dev/big')?.objects).toHaveLength(1500);
  });

  it(`${fx.label}: refuses a revoked credential`, async () => {
    await stopAgent('beta');
    store.clusters.revoke('beta');
    const beta = startAgent('beta');
    await expect
      .poll(() => beta.events.find((e) => e.name === 'disconnected')?.detail?.error, { timeout: 15_000 })
      .toMatch(/CREDENTIAL_(REVOKED|UNKNOWN): |NATS_USER_REFUSED: /);
    expect(count(beta, 'connected')).toBe(0);
  });

  // Over NATS without per-cluster users (auth none) there is no session of the cluster's own to cut:
  // the hub refuses its messages instead (test/integration/reliability/nats-faults.test.ts).
  if (fx.label !== 'nats (auth none)') {
    it(`${fx.label}: a cluster registered again cuts off the session of the credential it replaced`, async () => {
      const { token } = protocol.mintRegistrationToken(store, { cluster: 'gamma', labels: { env: 'dev' } });
      const old = startAgent('gamma', { token });
      await expect.poll(() => count(old, 'connected'), { timeout: 15_000 }).toBeGreaterThan(0);
      const before = count(old, 'disconnected');
      // A reinstalled agent (its own state directory) registers the same cluster: the credential rotates.
      const events: Agent['events'] = [];
      const fresh = fx.agent({
        cluster: 'gamma',
        dir: join(dir, 'agent-gamma-reinstalled'),
        sink: new MemoryCluster(),
        token: protocol.mintRegistrationToken(store, { cluster: 'gamma' }).token,
        onEvent: (name, detail) => events.push({ name, ...(detail ? { detail } : {}) }),
      });
      await fresh.credential();
      const registeredAt = performance.now();
      await expect.poll(() => count(old, 'disconnected'), { timeout: 15_000, interval: 20 }).toBeGreaterThan(before);
      // Measured, not asserted. The hub ends a gRPC stream before it answers the registration; over
      // NATS the server closes the old user's connection within milliseconds (security/04), and the
      // agent says so once its client's reconnect is refused.
      console.log(
        `${fx.label}: old agent saw its session end ${Math.round(performance.now() - registeredAt)} ms after the registration`,
      );
      expect(old.events.filter((e) => e.name === 'disconnected').at(-1)?.detail?.error).toMatch(
        /CREDENTIAL_ROTATED: cluster gamma registered again|NATS_USER_REFUSED: .*revoked or replaced/,
      );
      const running = fresh.run();
      await expect.poll(() => events.filter((e) => e.name === 'connected').length, { timeout: 15_000 }).toBe(1);
      // The old credential is refused when it dials again; the new session stays.
      const connectedAfter = count(old, 'connected');
      await expect
        .poll(() => old.events.filter((e) => e.name === 'disconnected').at(-1)?.detail?.error, { timeout: 15_000 })
        .toMatch(/CREDENTIAL_UNKNOWN: |NATS_USER_REFUSED: |Authorization Violation/i);
      expect(count(old, 'connected')).toBe(connectedAfter);
      await stopAgent('gamma');
      await fresh.stop();
      await running;
    });

    it(`${fx.label}: a cluster revoked while its agent is connected is cut off, and refused when it dials again`, async () => {
      const alpha = agents.get('alpha')!;
      const before = count(alpha, 'disconnected');
      expect(count(alpha, 'connected')).toBeGreaterThan(0);
      // What the hub's API does: the store first, then the transport.
      store.clusters.revoke('alpha');
      fx.disconnect('alpha');
      await expect
        .poll(() => alpha.events.filter((e) => e.name === 'disconnected').length, { timeout: 15_000 })
        .toBeGreaterThan(before);
      const connectedAfter = count(alpha, 'connected');
      // Its reconnections are refused (the agent retries with backoff): no new session.
      await expect
        .poll(() => alpha.events.filter((e) => e.name === 'disconnected').at(-1)?.detail?.error, { timeout: 15_000 })
        .toMatch(/CREDENTIAL_REVOKED: |NATS_USER_REFUSED: |Authorization Violation|permissions violation/i);
      expect(count(alpha, 'connected')).toBe(connectedAfter);
    });
  }
});
