import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterByName } from '../../harness/kube/client.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy.js';
import { waitFor } from '../../harness/wait.js';
import { Kubectl } from './agent-support.js';
import { configMapData, configMapNames, deployToDev, faultWorld, type FaultWorld } from './reliability-support.js';

/**
 * Faults with real processes: a hub process, agent processes on clusters alpha and beta, Git over
 * HTTP. Alpha dials the hub through a TCP proxy the test cuts; beta reaches its apiserver through a
 * proxy that adds latency. `npm run soak` runs the same file with the link cut for 5 minutes.
 */
const clusters = inject('kubeClusters');
const SOAK = process.env.FLOTILLA_SOAK === '1';
const CUT_MS = Number(process.env.FLOTILLA_CUT_MS ?? (SOAK ? 300_000 : 40_000));
const ns = `rel-${Math.random().toString(16).slice(2, 8)}`;

/** The target: a namespace, ConfigMap `web` holding a color, and `items` ConfigMaps tagged with it. */
const app = (color: string, items: number): Record<string, string> => ({
  'apps/web/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
  'apps/web/web.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: ${ns}\ndata:\n  color: ${color}\n`,
  'apps/web/items.yaml': Array.from(
    { length: items },
    (_, i) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: item-${String(i).padStart(3, '0')}\n  namespace: ${ns}\ndata:\n  color: ${color}\n`,
  ).join('---\n'),
});
const itemNames = (n: number) => Array.from({ length: n }, (_, i) => `item-${String(i).padStart(3, '0')}`);

describe('faults with real agents on two clusters: a cut link, a slow apiserver, kill -9 of the hub', () => {
  let git: GitServer;
  let dir: string;
  let world: FaultWorld;
  /** Each agent dials the hub through its own link, which the test can cut. */
  let hubLink: TcpProxy;
  let betaLink: TcpProxy;
  let slowApi: TcpProxy;

  const color = async (cluster: string) => (await configMapData(clusters, cluster, ns, 'web'))?.color;
  const colors = () => Promise.all([color('alpha'), color('beta')]);
  const deployment = (cluster: string) =>
    world.withStore((s) => s.deployments.get({ cluster, target: 'web', environment: 'dev' }));
  const commit = (c: string, items: number) => git.commitFiles('config', app(c, items), { branch: 'dev' });
  /** Every item present with this color on a cluster (objects lost: the names missing). */
  const itemsWith = async (cluster: string, c: string, n: number) => {
    const names = await configMapNames(clusters, cluster, ns, 'item-');
    const missing = itemNames(n).filter((x) => !names.includes(x));
    const wrong = [];
    for (const name of itemNames(n)) {
      if (missing.includes(name)) continue;
      if ((await configMapData(clusters, cluster, ns, name))?.color !== c) wrong.push(name);
    }
    return { missing, wrong };
  };

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'README.md': 'fleet config\n' });
    await commit('blue', 5);
    dir = mkdtempSync(join(tmpdir(), 'flotilla-faults-'));
    world = await faultWorld(dir, clusters);
    await world.startHub();
    await deployToDev(world.api, git.url('config'));
    hubLink = await startTcpProxy({ target: { host: '127.0.0.1', port: world.grpcPort } });
    betaLink = await startTcpProxy({ target: { host: '127.0.0.1', port: world.grpcPort } });
    const beta = new URL(clusterByName(clusters, 'beta').server);
    slowApi = await startTcpProxy({ target: { host: beta.hostname, port: Number(beta.port) } });
    world.startAgent('alpha', { hub: `127.0.0.1:${hubLink.port}`, token: world.token('alpha') });
    world.startAgent('beta', {
      hub: `127.0.0.1:${betaLink.port}`,
      kubeconfig: world.kubeconfigVia('beta', `https://127.0.0.1:${slowApi.port}`),
      token: world.token('beta'),
    });
  });

  afterAll(async () => {
    await world?.stop();
    for (const p of [hubLink, betaLink, slowApi]) await p?.stop();
    await git?.stop();
    const kubectl = clusters.map((c) => new Kubectl(c));
    for (const k of kubectl) {
      await k.deleteNamespaces(ns);
      k.close();
    }
    if (dir && process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('both clusters converge on the first commit, Ready on the hub', async () => {
    await expect.poll(colors, { timeout: 60_000, interval: 500 }).toEqual(['blue', 'blue']);
    await expect
      .poll(() => [deployment('alpha')?.state, deployment('beta')?.state], { timeout: 30_000 })
      .toEqual(['Ready', 'Ready']);
  });

  it('a slow apiserver (100 ms each way per packet): the apply still completes and is Ready', async () => {
    slowApi.setLatency(100);
    const t0 = Date.now();
    const c = await commit('green', 20);
    await expect.poll(colors, { timeout: 90_000, interval: 500 }).toEqual(['green', 'green']);
    await expect
      .poll(() => [deployment('beta')?.revision, deployment('beta')?.state], { timeout: 90_000, interval: 500 })
      .toEqual([c, 'Ready']);
    console.log(`slow apiserver: beta Ready at the new commit ${Date.now() - t0} ms after it was pushed`);
    expect(await itemsWith('beta', 'green', 20)).toEqual({ missing: [], wrong: [] });
    slowApi.setLatency(0);
  });

  it(
    `an agent cut off from the hub (${CUT_MS / 1000} s) keeps correcting drift from its last state, then converges`,
    async () => {
      const kubectl = new Kubectl(clusterByName(clusters, 'alpha'));
      try {
        hubLink.cut();
        const t0 = Date.now();
        await waitFor(() => /"msg":"disconnected"/.test(world.agentLog('alpha')), {
          what: 'alpha notices it lost the hub',
          timeoutMs: 20_000,
        });
        const red = await commit('red', 20);
        // The commit lands: the hub wants red on both, beta (connected) gets it, alpha cannot.
        await expect.poll(() => deployment('alpha')?.revision, { timeout: 30_000 }).toBe(red);
        await expect.poll(() => color('beta'), { timeout: 60_000, interval: 500 }).toBe('red');
        // Someone edits alpha meanwhile: the agent, alone, puts its last desired state (green) back.
        await kubectl.patch(`/api/v1/namespaces/${ns}/configmaps/web`, 'intruder', { data: { color: 'hacked' } });
        await kubectl.client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'item-007' });
        await expect.poll(() => color('alpha'), { timeout: 60_000, interval: 250 }).toBe('green');
        await expect
          .poll(() => itemsWith('alpha', 'green', 20), { timeout: 60_000, interval: 500 })
          .toEqual({
            missing: [],
            wrong: [],
          });
        // The hub shows alpha stale (not failed) while the link is down.
        await expect
          .poll(
            async () =>
              (await world.api<{ items: { name: string; condition: string }[] }>('/api/v1/clusters')).items.find(
                (c) => c.name === 'alpha',
              )?.condition,
            { timeout: 60_000, interval: 1000 },
          )
          .toBe('Stale');
        expect(deployment('alpha')?.state).not.toBe('ErrApplied');
        await new Promise((r) => setTimeout(r, Math.max(0, CUT_MS - (Date.now() - t0))));
        expect(await color('alpha')).toBe('green');
        hubLink.restore();
        await expect.poll(() => color('alpha'), { timeout: 90_000, interval: 500 }).toBe('red');
        await expect
          .poll(() => [deployment('alpha')?.revision, deployment('alpha')?.state], { timeout: 60_000 })
          .toEqual([red, 'Ready']);
        expect(await itemsWith('alpha', 'red', 20)).toEqual({ missing: [], wrong: [] });
        // The corrections made while cut off reach the hub after the link returns.
        await expect
          .poll(() => world.withStore((s) => s.events.list({ kind: 'DriftCorrected', cluster: 'alpha' }).length), {
            timeout: 30_000,
          })
          .toBeGreaterThan(0);
        const drift = world.withStore((s) => s.events.list({ kind: 'DriftCorrected', cluster: 'alpha' }));
        console.log(`cut off ${Math.round((Date.now() - t0) / 1000)} s; drift corrections reported: ${drift.length}`);
      } finally {
        hubLink.restore();
        kubectl.close();
      }
    },
    CUT_MS + 240_000,
  );

  /** Log lines of an agent holding `text`. */
  const logLines = (agent: string, text: string) =>
    world
      .agentLog(agent)
      .split('\n')
      .filter((l) => l.includes(text));

  // Was a bug: a report made while the link was down was dropped, and on reconnect the hub answered
  // "unchanged", so the hub showed Pending until the agent's 5-minute resync. The session now resends
  // the current report of every bundle it holds after each (re)connect.
  it('a status reported while the link is down reaches the hub after reconnecting', async () => {
    try {
      slowApi.setLatency(300);
      const fetchedBefore = logLines('beta', 'bundleFetched').length;
      const reportsBefore = logLines('beta', 'deploymentReport').length;
      const orange = await commit('orange', 30);
      await waitFor(() => logLines('beta', 'bundleFetched').length > fetchedBefore, {
        what: 'beta fetched the new bundle',
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      betaLink.cut();
      await waitFor(() => logLines('beta', 'deploymentReport').length > reportsBefore, {
        what: 'beta applied the new bundle while cut off',
        timeoutMs: 60_000,
      });
      slowApi.setLatency(0);
      betaLink.restore();
      await expect.poll(() => color('beta'), { timeout: 30_000 }).toBe('orange');
      await expect.poll(() => deployment('beta')?.revision).toBe(orange);
      await expect.poll(() => deployment('beta')?.state, { timeout: 20_000 }).toBe('Ready');
    } finally {
      slowApi.setLatency(0);
      betaLink.restore();
    }
  });

  it('kill -9 of the hub during a rollout to both clusters: it completes, nothing lost or applied twice', async () => {
    const ITEMS = 40;
    const purple = await commit('purple', ITEMS);
    // Killed as soon as the new desired state exists: the agents are fetching or applying it.
    await expect.poll(() => deployment('alpha')?.revision, { timeout: 30_000, interval: 50 }).toBe(purple);
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
    await world.killHub();
    expect(world.withStore((s) => s.integrityCheck())).toBe('ok');
    await world.startHub();
    await expect.poll(colors, { timeout: 90_000, interval: 500 }).toEqual(['purple', 'purple']);
    for (const c of ['alpha', 'beta']) {
      await expect.poll(() => deployment(c)?.revision, { timeout: 60_000 }).toBe(purple);
      expect(await itemsWith(c, 'purple', ITEMS)).toEqual({ missing: [], wrong: [] });
    }
    const bundle = deployment('alpha')?.bundle ?? '';
    expect(deployment('beta')?.bundle).toBe(bundle);
    // Ready: a report that fell in the window the hub was down is resent after reconnecting.
    for (const c of ['alpha', 'beta']) await expect.poll(() => deployment(c)?.state, { timeout: 30_000 }).toBe('Ready');
    world.withStore((s) => {
      expect(s.events.list({ kind: 'CommitSeen' }).filter((e) => e.payload.commit === purple)).toHaveLength(1);
      expect(s.events.list({ kind: 'BundleRendered' }).filter((e) => e.bundle === bundle)).toHaveLength(1);
      const applied = s.events.list({ kind: 'Applied' }).filter((e) => e.bundle === bundle);
      for (const c of ['alpha', 'beta']) expect(applied.filter((e) => e.cluster === c).length).toBeLessThanOrEqual(1);
      expect(applied.every((e) => e.payload.state === 'Ready')).toBe(true);
      expect(s.deployments.list({ target: 'web' }).map((d) => d.cluster)).toEqual(['alpha', 'beta']);
    });
    for (const c of ['alpha', 'beta']) {
      const fetched = logLines(c, 'bundleFetched').filter((l) => l.includes(bundle));
      expect(fetched, `${c} fetched the bundle once`).toHaveLength(1);
    }
  });
});
