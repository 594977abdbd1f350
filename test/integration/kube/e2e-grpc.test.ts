import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appFiles, e2eWorld, type E2eWorld } from './e2e-support.js';

const clusters = inject('kubeClusters');
const ns = `e2e-${Math.random().toString(16).slice(2, 8)}`;
const converge = { timeout: 60_000, interval: 500 };

describe('end to end over gRPC: hub process, two agents on two clusters, Git over HTTP', () => {
  let w: E2eWorld;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-'));
  /** How each agent trusts the hub's own CA: alpha pins its hash (`ca hash`), beta is given the file. */
  const trust: Record<string, string[]> = {};
  const agentArgs = (name: string) => ['--hub', `127.0.0.1:${w.grpcPort}`, ...(trust[name] ?? [])];
  const bothColors = () => Promise.all([w.color('alpha'), w.color('beta')]);

  beforeAll(async () => {
    w = await e2eWorld(dir, clusters, ns);
    // TLS with the hub's own CA (the default), and mutual TLS: agents get client certificates at registration.
    await w.startHub(['--mtls']);
    trust.alpha = ['--hub-ca-hash', w.hubCli('ca', 'hash').trim()];
    trust.beta = ['--hub-ca', join(w.hubDir, 'tls', 'ca.crt')];
    for (const name of ['alpha', 'beta']) {
      const token = w.hubCli('tokens', 'create', '--cluster', name, '--label', 'env=dev').trim();
      w.startAgent(name, [...agentArgs(name), '--token', token]);
    }
  });

  afterAll(async () => {
    await w?.stop();
    if (process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('registers both agents, and both clusters converge on the commit, Ready on the hub', async () => {
    await expect.poll(bothColors, converge).toEqual(['blue', 'blue']);
    await expect
      .poll(() => w.withStore((s) => s.deployments.list().map((d) => `${d.cluster}:${d.state}`)), { timeout: 30_000 })
      .toEqual(['alpha:Ready', 'beta:Ready']);
    // Per-object health on the hub: both objects (the namespace and the ConfigMap) counted, and ready.
    expect(w.withStore((s) => s.deployments.list().map((d) => d.objects))).toEqual([
      { total: 2, ready: 2, notReady: [] },
      { total: 2, ready: 2, notReady: [] },
    ]);
  });

  it('rolls out a new commit to both clusters', async () => {
    await w.git.commitFiles('config', appFiles(ns, 'green'), { branch: 'dev' });
    await expect.poll(bothColors, converge).toEqual(['green', 'green']);
  });

  it('a restarted agent whose hub has nothing new exchanges hashes only, fetching no bytes', async () => {
    const fetchedBefore = w.agentLog('alpha').split('bundleFetched').length;
    await w.stopAgent('alpha');
    w.startAgent('alpha', agentArgs('alpha'));
    await expect.poll(() => w.agentLog('alpha').split('"msg":"unchanged"').length - 1, { timeout: 30_000 }).toBe(1);
    expect(w.agentLog('alpha').split('bundleFetched').length).toBe(fetchedBefore);
    expect(await w.color('alpha')).toBe('green');
  });

  it('an agent offline while a commit lands converges after it reconnects', async () => {
    await w.stopAgent('beta');
    await w.git.commitFiles('config', appFiles(ns, 'red'), { branch: 'dev' });
    await expect.poll(() => w.color('alpha'), converge).toBe('red');
    expect(await w.color('beta')).toBe('green');
    w.startAgent('beta', agentArgs('beta')); // the stored credential, no token
    await expect.poll(() => w.color('beta'), converge).toBe('red');
  });

  it('the hub restarts; agents reconnect and converge on the next commit', async () => {
    await w.startHub(['--mtls']);
    await w.git.commitFiles('config', appFiles(ns, 'yellow'), { branch: 'dev' });
    await expect.poll(bothColors, converge).toEqual(['yellow', 'yellow']);
  });

  it('names on the hub the object that holds a deployment back, and why', async () => {
    // Its pods can be scheduled nowhere: the Deployment never becomes available.
    const stuck = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: stuck',
      `  namespace: ${ns}`,
      'spec:',
      '  selector: { matchLabels: { app: stuck } }',
      '  template:',
      '    metadata: { labels: { app: stuck } }',
      '    spec:',
      '      nodeSelector: { flotilla.test/nowhere: "true" }',
      '      containers: [{ name: app, image: registry.invalid/app:1 }]',
      '',
    ].join('\n');
    await w.git.commitFiles('config', { ...appFiles(ns, 'purple'), 'apps/web/stuck.yaml': stuck }, { branch: 'dev' });
    const held = () =>
      w.withStore((s) =>
        s.deployments.list().map((d) => ({
          cluster: d.cluster,
          state: d.state,
          total: d.objects?.total,
          ready: d.objects?.ready,
          notReady: d.objects?.notReady.map((o) => `${o.kind}/${o.namespace}/${o.name} ${o.state} ${o.health}`),
          why: d.objects?.notReady[0]?.message,
        })),
      );
    const stuckRow = (cluster: string) => ({
      cluster,
      state: 'NotReady',
      total: 3,
      ready: 2,
      notReady: [`Deployment/${ns}/stuck NotReady InProgress`],
      // First "not yet observed by its controller"; then the controller's own account, sent unprompted.
      why: expect.stringMatching(/replicas/),
    });
    await expect.poll(held, converge).toEqual([stuckRow('alpha'), stuckRow('beta')]);
    expect(await bothColors()).toEqual(['purple', 'purple']);
  });
});
