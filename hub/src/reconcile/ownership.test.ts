import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBinaries, startGitServer, type GitServer } from '@flotilla/test';
import { AgentProtocol } from '../protocol/agent-protocol.js';
import { desiredFor } from '../protocol/desired.js';
import { SecretBox } from '../secrets.js';
import { openStore, type Store } from '../store/index.js';
import { bwrapSandbox } from '../tools/sandbox.js';
import { Engine } from './engine.js';

// Issue #19, items 1 and 2, on the hub alone (real Git over HTTP, SQLite): a second claim on the
// same objects is refused; a removal is a change of the desired state, made in the reconcile.

const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "1"\n`;

describe('ownership and removal in the hub reconcile', () => {
  let git: GitServer;
  let dir: string;
  let store: Store;
  let engine: Engine;
  const targetsOf = (target: string) => store.deployments.list({ target }).map((d) => d.cluster);
  const overlaps = () => store.events.list({ kind: 'TargetOverlap' });

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'README.md': 'configuration\n' });
    await git.commitFiles(
      'config',
      {
        'apps/a/cm.yaml': `${CM('one')}---\n${CM('two')}`,
        'apps/b/cm.yaml': `${CM('two')}---\n${CM('one')}`,
        'apps/c/cm.yaml': CM('three'),
      },
      { branch: 'dev' },
    );
    dir = mkdtempSync(join(tmpdir(), 'flotilla-ownership-'));
    store = openStore(join(dir, 'hub.db'));
    store.repos.put({ name: 'config', url: git.url('config'), pollIntervalSeconds: 3600 });
    store.groups.put({ name: 'dev', selector: 'env=dev' });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', group: 'dev' });
    for (const name of ['c1', 'c2']) store.clusters.create({ name, labels: { env: 'dev' } });
    store.targets.put({ name: 'a', repo: 'config', path: 'apps/a', environments: ['dev'] });
    store.targets.put({ name: 'c', repo: 'config', path: 'apps/c', environments: ['dev'] });
    const bins = locateBinaries();
    engine = new Engine({
      store,
      dataDir: dir,
      secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')),
      tools: { helm: bins.helm, kustomize: bins.kustomize, sandbox: bwrapSandbox() },
    });
    engine.start();
    await engine.fetch('config');
    await engine.reconcileNow();
  });

  afterAll(async () => {
    await engine?.stop();
    store?.close();
    await git?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second target rendering objects another already deploys, naming both, every cluster and the objects', async () => {
    expect(targetsOf('a')).toEqual(['c1', 'c2']);
    store.targets.put({ name: 'b', repo: 'config', path: 'apps/b', environments: ['dev'] });
    const summary = await engine.reconcileNow();
    expect(summary.problems).toEqual([
      expect.objectContaining({
        code: 'TARGET_OVERLAP',
        target: 'b',
        environment: 'dev',
        holder: { environment: 'dev', target: 'a' },
        clusters: ['c1', 'c2'],
        objects: ['ConfigMap default/one', 'ConfigMap default/two'],
        objectCount: 2,
      }),
    ]);
    expect(targetsOf('b')).toEqual([]);
    expect(targetsOf('a')).toEqual(['c1', 'c2']);
    const status = store.renderStatus.get('b', 'dev');
    expect(status?.state).toBe('Failed');
    expect(status?.message).toMatch(/^TARGET_OVERLAP: target b \(environment dev\) renders 2 objects that target a/);
    expect(status?.message).toContain('clusters c1, c2: ConfigMap default/one, ConfigMap default/two');
    expect(overlaps().map((e) => e.target)).toEqual(['b']);
  });

  it('is stable: the next reconciles refuse the same claim again, without a new event', async () => {
    for (let i = 0; i < 2; i++) {
      const summary = await engine.reconcileNow();
      expect(summary.problems.map((p) => `${p.code} ${p.target} by ${p.holder?.target}`)).toEqual([
        'TARGET_OVERLAP b by a',
      ]);
      expect(summary.changed).toBe(0);
    }
    expect(overlaps()).toHaveLength(1);
  });

  it('removing the holder hands the objects over in the same reconcile: one desired state per cluster', async () => {
    const before = desiredFor(store, 'c1');
    expect(store.targets.markRemoved('a', { orphan: false, requestedAt: new Date().toISOString() })).toBe(true);
    // Until the reconcile the deployments stay: an agent connecting now gets what it runs.
    expect(desiredFor(store, 'c1').generation).toBe(before.generation);
    const summary = await engine.reconcileNow();
    expect({ removed: summary.removed, changed: summary.changed, problems: summary.problems }).toEqual({
      removed: 2,
      changed: 2,
      problems: [],
    });
    expect(store.targets.get('a')).toBeUndefined();
    expect(targetsOf('b')).toEqual(['c1', 'c2']);
    expect(desiredFor(store, 'c1').deployments.map((d) => d.deployment)).toEqual(['dev/b', 'dev/c']);
    expect(store.renderStatus.get('b', 'dev')?.state).toBe('Rendered');
    expect(store.events.list({ kind: 'TargetRemoved' }).map((e) => [e.target, e.payload.orphan])).toEqual([
      ['a', false],
    ]);
  });

  it('a target removed with orphan is named to its agents until each confirms, then forgotten', async () => {
    store.targets.markRemoved('c', { orphan: true, requestedAt: new Date().toISOString() });
    expect((await engine.reconcileNow()).removed).toBe(2);
    expect(store.orphans.list().map((o) => `${o.cluster} ${o.deployment}`)).toEqual(['c1 dev/c', 'c2 dev/c']);
    const d = desiredFor(store, 'c1');
    expect({ deployments: d.deployments.map((r) => r.deployment), orphaned: d.orphaned }).toEqual({
      deployments: ['dev/b'],
      orphaned: ['dev/c'],
    });
    const protocol = new AgentProtocol({ store });
    // An agent still on an older desired state does not clear the mark; one that applied this one does.
    protocol.handle('c1', { heartbeat: { sentAtUnixMs: '0', appliedGeneration: '12345' } });
    expect(store.orphans.list('c1')).toHaveLength(1);
    protocol.handle('c1', { heartbeat: { sentAtUnixMs: '0', appliedGeneration: d.generation } });
    expect(store.orphans.list().map((o) => o.cluster)).toEqual(['c2']);
    expect(desiredFor(store, 'c1').orphaned).toEqual([]);
  });
});
