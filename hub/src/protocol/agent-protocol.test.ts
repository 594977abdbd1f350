import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgentMessage__Output } from '@flotilla/proto';
import { useTempStore } from '../store/testing.js';
import { AgentProtocol, supersededInBatch } from './agent-protocol.js';

const status = (deployment: string, state: string, generation = '1') =>
  ({ status: { deployment, generation, state, message: '' } }) as unknown as AgentMessage__Output;
const beat = () => ({ heartbeat: {} }) as unknown as AgentMessage__Output;
const drift = () => ({ drift: { deployment: 'dev/web' } }) as unknown as AgentMessage__Output;

describe('folding a burst of agent messages', () => {
  it('folds the last status per deployment and generation, and the first that settles it', () => {
    const batch = [
      { cluster: 'a', m: status('dev/web', 'BUNDLE_STATE_WAIT_APPLIED') }, // 0 superseded
      { cluster: 'a', m: status('dev/web', 'BUNDLE_STATE_READY') }, // 1 settles: kept
      { cluster: 'a', m: status('dev/web', 'BUNDLE_STATE_NOT_READY') }, // 2 superseded
      { cluster: 'b', m: status('dev/web', 'BUNDLE_STATE_READY') }, // 3 another cluster: kept
      { cluster: 'a', m: status('dev/web', 'BUNDLE_STATE_READY', '2') }, // 4 another generation: kept
      { cluster: 'a', m: status('dev/web', 'BUNDLE_STATE_READY') }, // 5 last: kept
    ];
    expect([...supersededInBatch(batch)].sort()).toEqual([0, 2]);
  });

  it('keeps the last heartbeat per cluster and every drift report', () => {
    const batch = [
      { cluster: 'a', m: beat() },
      { cluster: 'a', m: drift() },
      { cluster: 'b', m: beat() },
      { cluster: 'a', m: drift() },
      { cluster: 'a', m: beat() },
    ];
    expect([...supersededInBatch(batch)]).toEqual([0]);
  });

  it('skips nothing when every cluster sent one message', () => {
    const batch = ['a', 'b', 'c'].map((cluster) => ({ cluster, m: status('dev/web', 'BUNDLE_STATE_READY') }));
    expect(supersededInBatch([...batch, { cluster: 'd', m: beat() }]).size).toBe(0);
  });
});

describe('when heartbeats are folded', () => {
  const t = useTempStore();
  const settled = (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    return () => done;
  };

  it('waits up to a second with heartbeats alone, then folds them in one commit', async () => {
    for (const name of ['alpha', 'beta']) t.store.clusters.create({ name });
    const protocol = new AgentProtocol({ store: t.store });
    const started = Date.now();
    const beats = Promise.all([protocol.fold('alpha', beat()), protocol.fold('beta', beat())]);
    const done = settled(beats);
    await new Promise((r) => setTimeout(r, 100));
    expect(done()).toBe(false);
    expect(t.store.clusters.get('alpha')?.lastSeenAt).toBeUndefined();
    await beats;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(t.store.clusters.get('alpha')?.lastSeenAt).toBeDefined();
    expect(t.store.clusters.get('beta')?.lastSeenAt).toBeDefined();
  });

  it('folds waiting heartbeats along with the next report, at the report’s pace', async () => {
    t.store.clusters.create({ name: 'alpha' });
    const protocol = new AgentProtocol({ store: t.store });
    const started = Date.now();
    const beating = protocol.fold('alpha', beat());
    // Drift about a deployment the cluster does not run is dropped, but it is a report: it folds soon.
    await Promise.all([beating, protocol.fold('alpha', drift())]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(t.store.clusters.get('alpha')?.lastSeenAt).toBeDefined();
  });
});

describe('a status with per-object health', () => {
  const t = useTempStore();

  it('folds into the deployment: counts, and the objects that hold it back, worst first', async () => {
    t.store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
    t.store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev' });
    t.store.targets.put({ name: 'web', repo: 'apps', path: 'web', environments: ['dev'] });
    t.store.clusters.create({ name: 'alpha' });
    const content = Buffer.from('three objects');
    const digest = createHash('sha256').update(content).digest('hex');
    t.store.bundles.put({ digest, content, objectCount: 3 });
    t.store.deployments.setDesired({ cluster: 'alpha', target: 'web', environment: 'dev', bundle: digest });
    const ref = (kind: string, name: string) => ({ apiVersion: 'v1', kind, namespace: 'shop', name });
    const protocol = new AgentProtocol({ store: t.store });
    await protocol.fold('alpha', {
      status: {
        deployment: 'dev/web',
        generation: '1',
        state: 'BUNDLE_STATE_ERR_APPLIED',
        message: 'Service/shop/web: field is immutable',
        // As the agent sends them: every object counted, the ones not ready listed (here in apply
        // order: the hub lists them worst first).
        objectsTotal: 3,
        objectsReady: 1,
        objects: [
          {
            object: ref('Pod', 'web-0'),
            change: 'OBJECT_CHANGE_CONFIGURED',
            health: 'OBJECT_HEALTH_IN_PROGRESS',
            message: 'ContainerCreating',
            state: 'BUNDLE_STATE_NOT_READY',
          },
          {
            object: ref('Service', 'web'),
            change: 'OBJECT_CHANGE_FAILED',
            health: 'OBJECT_HEALTH_UNKNOWN',
            message: 'field is immutable',
            state: 'BUNDLE_STATE_ERR_APPLIED',
          },
        ],
      },
    } as unknown as AgentMessage__Output);
    const d = t.store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' });
    expect(d?.state).toBe('ErrApplied');
    expect(d?.objects).toStrictEqual({
      total: 3,
      ready: 1,
      notReady: [
        {
          ...ref('Service', 'web'),
          state: 'ErrApplied',
          health: 'Unknown',
          change: 'failed',
          message: 'field is immutable',
        },
        {
          ...ref('Pod', 'web-0'),
          state: 'NotReady',
          health: 'InProgress',
          change: 'configured',
          message: 'ContainerCreating',
        },
      ],
    });
  });
});

describe('a flood of drift reports', () => {
  const t = useTempStore();

  it('is cut to size and rate limited per cluster, coalesced rather than lost, and never holds up statuses', async () => {
    t.store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
    t.store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev' });
    t.store.targets.put({ name: 'web', repo: 'apps', path: 'web', environments: ['dev'] });
    t.store.clusters.create({ name: 'alpha' });
    const content = Buffer.from('one object');
    const digest = createHash('sha256').update(content).digest('hex');
    t.store.bundles.put({ digest, content, objectCount: 1 });
    t.store.deployments.setDesired({ cluster: 'alpha', target: 'web', environment: 'dev', bundle: digest });
    const clock = { ms: 0 };
    const protocol = new AgentProtocol({
      store: t.store,
      reportLimits: { driftReportBytes: 4096, driftFields: 8, driftBurst: 5, driftPerMinute: 60 },
      clock: () => clock.ms,
    });
    const big = JSON.stringify('x'.repeat(100_000));
    const report = (i: number) =>
      ({
        drift: {
          deployment: 'dev/web',
          object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web' },
          fields: [{ path: '/data/big', desiredJson: big, liveJson: `"${i}"` }],
          manager: 'kubectl-edit',
          changedAtUnixMs: String(i),
          detectedAtUnixMs: String(i),
          corrected: false,
        },
      }) as unknown as AgentMessage__Output;
    for (let i = 1; i <= 50; i++) protocol.foldQuietly('alpha', report(i));
    const ready = {
      status: { deployment: 'dev/web', generation: '1', state: 'BUNDLE_STATE_READY', message: '', objects: [] },
    } as unknown as AgentMessage__Output;
    await protocol.fold('alpha', ready);
    expect(t.store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })?.state).toBe('Ready');
    const drift = () => t.store.events.list({ kind: 'DriftDetected' });
    expect(drift()).toHaveLength(5);
    for (const e of drift()) expect(Buffer.byteLength(JSON.stringify(e.payload))).toBeLessThanOrEqual(4096);
    expect(drift()[0]?.payload).toMatchObject({
      object: 'ConfigMap/shop/web',
      manager: 'kubectl-edit',
      truncated: true,
    });

    // A token a second: the other 45 come back as one report, the latest, standing for the 44 before it.
    clock.ms += 1000;
    await expect.poll(() => drift().length, { timeout: 5000 }).toBe(6);
    expect(drift()[5]?.payload).toMatchObject({
      detectedAt: 50,
      fields: [{ path: '/data/big', live: '"50"' }],
      suppressed: { reports: 44, detected: 44 },
    });
    expect(t.store.events.counts()).toContainEqual(
      expect.objectContaining({ counter: 'driftIncidents', environment: 'dev', count: 50 }),
    );
  });
});
