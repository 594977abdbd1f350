import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBinaries, startGitServer, type GitServer } from '@flotilla/test';
import { SecretBox } from '../secrets.js';
import { bwrapSandbox } from '../tools/sandbox.js';
import { openStore, type Store } from '../store/index.js';
import { Engine } from './engine.js';
import type { Scope } from './work-queue.js';

const CM = (name: string, v = '1') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;

/** A chart whose render fails for clusters labelled size=big only (their customization names a file that is not there). */
const SEED: Record<string, string> = {
  'apps/plain/cm.yaml': CM('plain'),
  'apps/chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'apps/chart/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  size: {{ .Values.size | quote }}\n',
  'apps/chart/values.yaml': 'size: small\n',
  'apps/chart/fleet.yaml': [
    'targetCustomizations:',
    '- name: big',
    '  clusterSelector: {matchLabels: {size: big}}',
    '  helm: {valuesFiles: [big-values.yaml]}',
    '',
  ].join('\n'),
};

describe('hub engine, event-driven: each change decides only what it touches (real Git over HTTP, SQLite, helm)', () => {
  let git: GitServer;
  let dir: string;
  let store: Store;
  let engine: Engine;
  const errors: unknown[] = [];
  /** What every pass covered, in order. */
  const passes: ReturnType<Scope['describe']>[] = [];
  /** What the store told its listeners (the transports) changed. */
  const told: string[][] = [];
  const toldSince = () => [...new Set(told.splice(0).flat())].sort();

  const deployments = (target: string) =>
    Object.fromEntries(store.deployments.list({ target }).map((d) => [d.cluster, d]));

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'README.md': 'configuration\n' });
    await git.commitFiles('config', SEED, { branch: 'dev' });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-engine-events-'));
    store = openStore(join(dir, 'hub.db'));
    store.desiredChanges.subscribe((clusters) => told.push(clusters));
    store.repos.put({ name: 'config', url: git.url('config'), pollIntervalSeconds: 3600 });
    store.groups.put({ name: 'dev', selector: 'env=dev' });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', group: 'dev' });
    store.clusters.create({ name: 'a-1', labels: { env: 'dev' } });
    store.clusters.create({ name: 'b-1', labels: { env: 'dev', size: 'big' } });
    store.clusters.create({ name: 'prod-1', labels: { env: 'prod' } });
    for (const t of ['plain', 'chart']) {
      store.targets.put({ name: t, repo: 'config', path: `apps/${t}`, environments: ['dev'] });
    }
    const bins = locateBinaries();
    engine = new Engine({
      store,
      dataDir: dir,
      secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')),
      tools: { helm: bins.helm, kustomize: bins.kustomize, sandbox: bwrapSandbox() },
      onError: (err) => errors.push(err),
      onReconcile: (_s, _ms, scope) => passes.push(scope.describe()),
    });
    engine.start();
    // The first pass finds dev pending (never fetched) and asks for a fetch, which enqueues dev.
    const deadline = Date.now() + 20_000;
    while (store.deployments.list({ target: 'plain' }).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await engine.idle();
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    store?.close();
    await git?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with a pass over everything; the store tells the clusters whose desired state it wrote', () => {
    expect(errors).toEqual([]);
    expect(passes[0]).toMatchObject({ all: true });
    expect(Object.keys(deployments('plain')).sort()).toEqual(['a-1', 'b-1']);
    // The chart renders for a-1 and fails for b-1 (size=big): the pair is Failed, naming the file.
    expect(Object.keys(deployments('chart'))).toEqual(['a-1']);
    expect(store.renderStatus.get('chart', 'dev')).toMatchObject({ state: 'Failed' });
    expect(store.renderStatus.get('chart', 'dev')?.message).toMatch(/big-values\.yaml/);
    expect(toldSince()).toEqual(['a-1', 'b-1']);
  });

  it('a new cluster is decided alone: the others are not rewritten, and a render status is never claimed from one cluster', async () => {
    const before = store.deployments.list();
    passes.length = 0;
    store.clusters.create({ name: 'c-1', labels: { env: 'dev' } });
    engine.enqueue({ kind: 'cluster', cluster: 'c-1' });
    await engine.idle();
    expect(errors).toEqual([]);
    expect(Object.keys(deployments('plain')).sort()).toEqual(['a-1', 'b-1', 'c-1']);
    expect(Object.keys(deployments('chart')).sort()).toEqual(['a-1', 'c-1']);
    // Only c-1 was written and told; a-1 and b-1 are as they were, to the timestamp.
    expect(toldSince()).toEqual(['c-1']);
    expect(store.deployments.list().filter((d) => d.cluster !== 'c-1')).toEqual(before);
    // The pass over c-1 rendered the chart fine, but b-1 still fails it: the pair stays Failed, and a
    // pass over the pair (every cluster of it) was run to say so, not the one cluster's word.
    expect(passes[0]).toEqual({ all: false, clusters: 1, environments: 0, targets: 0, deployments: 0 });
    expect(passes).toContainEqual({ all: false, clusters: 0, environments: 0, targets: 0, deployments: 1 });
    expect(store.renderStatus.get('chart', 'dev')).toMatchObject({ state: 'Failed' });
  });

  it('a commit on the branch decides its environment: the clusters it changed are told, the others not', async () => {
    passes.length = 0;
    await git.commitFiles('config', { 'apps/plain/cm.yaml': CM('plain', '2') }, { branch: 'dev' });
    await engine.fetch('config');
    await engine.idle();
    expect(passes[0]).toEqual({ all: false, clusters: 0, environments: 1, targets: 0, deployments: 0 });
    // Every dev cluster moves to the new revision (plain's bundle and chart's revision); prod-1 is in no
    // environment and hears nothing.
    expect(toldSince()).toEqual(['a-1', 'b-1', 'c-1']);
    const head = await git.head('config', 'dev');
    expect(Object.values(deployments('plain')).map((d) => d.revision)).toEqual([head, head, head]);
  });

  it('a target being removed is only finished by a pass over the whole target, its orphan marks with it', async () => {
    store.targets.markRemoved('plain', { orphan: true, requestedAt: new Date().toISOString() });
    // A pass over one cluster (a registration, say) leaves the target's deployments: removing them
    // there would lose the orphan marks the pass over the target sets.
    engine.enqueue({ kind: 'cluster', cluster: 'a-1' });
    await engine.idle();
    expect(Object.keys(deployments('plain')).sort()).toEqual(['a-1', 'b-1', 'c-1']);
    expect(store.targets.get('plain')).toBeDefined();
    told.length = 0;

    engine.enqueue({ kind: 'target', target: 'plain' });
    await engine.idle();
    expect(deployments('plain')).toEqual({});
    expect(store.targets.get('plain')).toBeUndefined();
    expect(store.orphans.list().map((o) => o.cluster)).toEqual(['a-1', 'b-1', 'c-1']);
    expect(toldSince()).toEqual(['a-1', 'b-1', 'c-1']);
    const removed = store.events.list({ kind: 'TargetRemoved' });
    expect(removed.at(-1)?.payload.deployments).toHaveLength(3);
  });
  it('removing the holder of objects hands them over in the pass over the holder alone', async () => {
    await git.commitFiles('config', { 'apps/shared/cm.yaml': CM('shared') }, { branch: 'dev' });
    await engine.fetch('config');
    store.targets.put({ name: 'holder', repo: 'config', path: 'apps/shared', environments: ['dev'] });
    engine.enqueue({ kind: 'target', target: 'holder' });
    await engine.idle();
    store.targets.put({ name: 'copy', repo: 'config', path: 'apps/shared', environments: ['dev'] });
    engine.enqueue({ kind: 'target', target: 'copy' });
    await engine.idle();
    expect(Object.keys(deployments('holder')).sort()).toEqual(['a-1', 'b-1', 'c-1']);
    expect(deployments('copy')).toEqual({});
    expect(store.renderStatus.get('copy', 'dev')?.message).toMatch(/^TARGET_OVERLAP: target copy/);

    // Only the holder is enqueued (what the API does on its removal): the refused pair is decided with
    // it, so each cluster gets one desired state in which the objects change hands.
    passes.length = 0;
    told.length = 0;
    store.targets.markRemoved('holder', { orphan: false, requestedAt: new Date().toISOString() });
    engine.enqueue({ kind: 'target', target: 'holder' });
    await engine.idle();
    expect(errors).toEqual([]);
    expect(passes).toEqual([{ all: false, clusters: 0, environments: 0, targets: 1, deployments: 1 }]);
    expect(deployments('holder')).toEqual({});
    expect(Object.keys(deployments('copy')).sort()).toEqual(['a-1', 'b-1', 'c-1']);
    expect(store.renderStatus.get('copy', 'dev')).toMatchObject({ state: 'Rendered' });
    expect(told).toHaveLength(1);
  });
  it('a pass written in several chunks is told once, after its last write', async () => {
    const fleet = Array.from({ length: 300 }, (_, i) => `sim-${String(i).padStart(3, '0')}`);
    store.transaction(() => {
      for (const name of fleet) store.clusters.create({ name, labels: { env: 'dev' } });
    });
    told.length = 0;
    engine.enqueue(...fleet.map((cluster) => ({ kind: 'cluster' as const, cluster })));
    await engine.idle();
    // 600 deployments (chart and copy on each), written 250 to a transaction with turns between.
    expect(store.deployments.list().filter((d) => d.cluster.startsWith('sim-'))).toHaveLength(600);
    expect(told).toEqual([fleet]);
  });
});
