import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startNats, type NatsServer } from '../../harness/nats.js';
import { appFiles, e2eWorld, type E2eWorld } from './e2e-support.js';

const clusters = inject('kubeClusters');
const ns = `e2e-nats-${Math.random().toString(16).slice(2, 8)}`;
const converge = { timeout: 60_000, interval: 500 };

describe('end to end over NATS JetStream: hub process, nats-server in JWT mode, two agents on two clusters', () => {
  let w: E2eWorld;
  let nats: NatsServer;
  let natsFiles: { serverConfig: string; registerCreds: string };
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-nats-'));

  const agentArgs = () => [
    '--transport',
    'nats',
    '--nats-url',
    nats.url,
    '--nats-register-creds',
    natsFiles.registerCreds,
  ];
  const bothColors = () => Promise.all([w.color('alpha'), w.color('beta')]);
  const hubArgs = () => ['--transport', 'nats', '--nats-url', nats.url, '--insecure'];

  beforeAll(async () => {
    w = await e2eWorld(dir, clusters, ns);
    // The hub is the operator of its NATS trust chain; nats-server runs with the configuration it writes.
    natsFiles = JSON.parse(w.hubCli('nats', 'init')) as typeof natsFiles;
    nats = await startNats({ args: ['-c', natsFiles.serverConfig] });
    await w.startHub(hubArgs());
    for (const name of ['alpha', 'beta']) {
      const token = w.hubCli('tokens', 'create', '--cluster', name, '--label', 'env=dev').trim();
      w.startAgent(name, [...agentArgs(), '--token', token]);
    }
  });

  afterAll(async () => {
    await w?.stop();
    await nats?.stop();
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
    const fetched = () => w.agentLog('alpha').split('bundleFetched').length;
    const before = fetched();
    const unchanged = w.agentLog('alpha').split('"msg":"unchanged"').length;
    await w.stopAgent('alpha');
    w.startAgent('alpha', agentArgs()); // the stored credential and NATS creds, no token
    await expect
      .poll(() => w.agentLog('alpha').split('"msg":"unchanged"').length, { timeout: 30_000 })
      .toBeGreaterThan(unchanged);
    expect(fetched()).toBe(before);
  });

  it('the NATS server restarts; a commit made meanwhile reaches both clusters', async () => {
    await nats.restart();
    await w.git.commitFiles('config', appFiles(ns, 'yellow'), { branch: 'dev' });
    await expect.poll(bothColors, converge).toEqual(['yellow', 'yellow']);
  });

  it('the hub restarts; agents keep their state and converge on the next commit', async () => {
    await w.startHub(hubArgs());
    await w.git.commitFiles('config', appFiles(ns, 'red'), { branch: 'dev' });
    await expect.poll(bothColors, converge).toEqual(['red', 'red']);
  });

  it('an agent offline while a commit lands converges after it reconnects', async () => {
    await w.stopAgent('beta');
    await w.git.commitFiles('config', appFiles(ns, 'violet'), { branch: 'dev' });
    await expect.poll(() => w.color('alpha'), converge).toBe('violet');
    expect(await w.color('beta')).toBe('red');
    w.startAgent('beta', agentArgs());
    await expect.poll(() => w.color('beta'), converge).toBe('violet');
  });
});
