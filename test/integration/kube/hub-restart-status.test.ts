import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy.js';
import { Kubectl } from './agent-support.js';
import { deployToDev, faultWorld, type FaultWorld } from './reliability-support.js';

/**
 * Issue #29, item 3: after a hub restart, the hub says what it sees now. A cluster whose agent has not
 * reconnected is Disconnected (its last-seen time, read back from the database, is recent and used to
 * make it Connected), and agents that lost a hub they were connected to come back within seconds of it
 * being up, not after a backoff grown while it was down.
 */
const clusters = inject('kubeClusters');
const ns = `restart-${Math.random().toString(16).slice(2, 8)}`;
/** The default window: three 15 s heartbeats. Every last-seen time below is well inside it. */
const STALE_AFTER_S = 45;
const DOWN_MS = 15_000;

interface ClusterRow {
  name: string;
  condition: string;
  lastSeenAt?: string;
}

describe('a restarted hub shows which agents are connected to it now', () => {
  let git: GitServer;
  let dir: string;
  let world: FaultWorld;
  const links = new Map<string, TcpProxy>();

  /** The waits before each reconnect attempt an agent logged since `since` (ms). */
  const reconnectWaits = (agent: string, since: number) =>
    world
      .agentLog(agent)
      .split('\n')
      .filter((l) => l.includes('"msg":"reconnecting"'))
      .map((l) => JSON.parse(l) as { time: number; inMs: number })
      .filter((e) => e.time >= since)
      .map((e) => e.inMs);
  const rows = async () => (await world.api<{ items: ClusterRow[] }>('/api/v1/clusters')).items;
  const conditions = async () => Object.fromEntries((await rows()).map((c) => [c.name, c.condition]));

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles(
      'config',
      {
        'apps/web/web.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: ${ns}\ndata:\n  color: blue\n`,
      },
      { branch: 'dev' },
    );
    dir = mkdtempSync(join(tmpdir(), 'flotilla-hub-restart-'));
    world = await faultWorld(dir, clusters, { staleAfterSeconds: STALE_AFTER_S });
    await world.startHub();
    await deployToDev(world.api, git.url('config'));
    for (const name of ['alpha', 'beta']) {
      const link = await startTcpProxy({ target: { host: '127.0.0.1', port: world.grpcPort } });
      links.set(name, link);
      world.startAgent(name, { hub: `127.0.0.1:${link.port}`, token: world.token(name) });
    }
  });

  afterAll(async () => {
    await world?.stop();
    for (const l of links.values()) await l.stop();
    await git?.stop();
    for (const c of clusters) {
      const k = new Kubectl(c);
      await k.deleteNamespaces(ns);
      k.close();
    }
    if (dir && process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('Disconnected until the agent says hello again; agents back within seconds of the hub', async () => {
    await expect
      .poll(conditions, { timeout: 60_000, interval: 250 })
      .toEqual({ alpha: 'Connected', beta: 'Connected' });

    // alpha's link stays cut through the restart: it cannot say hello to the new hub process.
    links.get('alpha')!.cut();
    const killedAt = Date.now();
    await world.killHub();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    await world.startHub();
    const up = Date.now();

    const now = await rows();
    const alpha = now.find((c) => c.name === 'alpha');
    // The database says alpha was heard well within the window: only the hub's view of its
    // connections can tell that it is not connected now.
    expect(Date.now() - Date.parse(alpha?.lastSeenAt ?? '')).toBeLessThan(STALE_AFTER_S * 1000 - 2_000);
    expect(alpha?.condition).toBe('Disconnected');

    // beta dials the hub itself: Connected again within a few seconds of the hub being up (the
    // reconnect backoff stays short while the hub was reachable recently; before, it grew to 8-16 s
    // during a 15 s outage).
    await expect.poll(async () => (await conditions()).beta, { timeout: 30_000, interval: 100 }).toBe('Connected');
    const betaBackMs = Date.now() - up;
    expect((await conditions()).alpha).toBe('Disconnected');
    expect(betaBackMs, `beta reconnected ${betaBackMs} ms after the hub was up`).toBeLessThan(7_000);
    // Its waits between attempts while the hub was down, as it logged them: jittered, none over 4 s
    // (the outage was shorter than RECENTLY_MS).
    const waits = reconnectWaits('beta', killedAt);
    expect(waits.length, `beta's reconnect attempts during a ${DOWN_MS} ms outage`).toBeGreaterThanOrEqual(4);
    expect(Math.max(...waits)).toBeLessThanOrEqual(4_000);

    // The link comes back: alpha, cut off for about 20 s, reconnects within seconds too.
    const restored = Date.now();
    links.get('alpha')!.restore();
    await expect.poll(async () => (await conditions()).alpha, { timeout: 30_000, interval: 100 }).toBe('Connected');
    const alphaBackMs = Date.now() - restored;
    expect(alphaBackMs, `alpha reconnected ${alphaBackMs} ms after its link was restored`).toBeLessThan(7_000);
  });
});
