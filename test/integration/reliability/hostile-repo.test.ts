import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, store as hubStore } from '@flotilla/hub';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { commitTree, commitWork, hubEngine, writeBlob, writeTree } from './repo-support.js';

/**
 * Hostile repository content, end to end through the hub's real engine: Git over HTTP, checkout,
 * render (plain YAML, Helm, Kustomize), SQLite. Every hostile target lands in one commit beside a
 * good one: each must fail on its own with an error naming the file (and line) or path, and the
 * good targets, in the same repo and in another, must render that very commit.
 */
const cm = (name: string, value = '1') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${value}"\n`;
const MANY = 50_000;
const HUGE_BYTES = 100 * 1024 * 1024;
const LONG_NAME = `${'l'.repeat(240)}.yaml`;
const ODD_FILES = ['with space.yaml', 'ünïcødé-名前.yaml', '-rf.yaml', '--help.yaml', LONG_NAME];

/** A 100 MB manifest file: valid YAML (one long ConfigMap value), compressing well in Git. */
const hugeFile = () => `${cm('huge').trimEnd()}\n  big: "${'x'.repeat(HUGE_BYTES)}"\n`;

/** One file, 50,000 ConfigMaps (about 4 MB): under the per-file limit, a very large bundle. */
const manyObjects = () =>
  Array.from({ length: MANY }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m-${i}\n`).join('---\n');

/** `helm template` would print about 73 MB (in YAML comments, cheap for helm to make): over the 64 MB cap. */
const CHART_BOMB = {
  'Chart.yaml': 'apiVersion: v2\nname: bomb\nversion: 0.1.0\n',
  'templates/cm.yaml':
    '{{- range $i := until 70 }}\n# {{ repeat 1048576 "x" }}\n{{- end }}\n' +
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n',
};

const HOSTILE_TARGETS: Record<string, string> = {
  malformed: 'apps/malformed',
  'not-a-map': 'apps/not-a-map',
  'invalid-object': 'apps/invalid-object',
  'odd-bad': 'apps/odd-bad',
  huge: 'apps/huge',
  'chart-bomb': 'apps/chart-bomb',
  'symlink-file': 'apps/symlink-file',
  'symlink-dir': 'apps/symlink-dir',
  'symlink-relative': 'apps/symlink-relative',
  'fleet-kustomize-dotdot': 'apps/fleet-kustomize-dotdot',
  'fleet-values-dotdot': 'apps/fleet-values-dotdot',
  'path-dotdot': '../outside',
  'path-nested-dotdot': 'apps/../../..',
  'path-absolute': '/etc',
};

describe('hostile repository content through the hub engine (real Git over HTTP, helm, SQLite)', () => {
  let git: GitServer;
  let dir: string;
  let store: hubStore.Store;
  let engine: Engine;
  let hostileCommit: string;
  let otherCommit: string;
  let summary: Awaited<ReturnType<Engine['reconcileNow']>>;

  const status = (target: string) => store.renderStatus.get(target, 'dev');
  const failedEvents = (target: string) =>
    store.events.list({ kind: 'RenderFailed', target }).map((e) => String(e.payload.message));
  const deployed = (target: string) =>
    store.deployments
      .list({ target })
      .map((d) => `${d.cluster}@${(d.revision ?? '').slice(0, 8)}`)
      .sort();

  beforeAll(async () => {
    git = await startGitServer();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-hostile-'));
    for (const repo of ['config', 'other']) await git.createRepo(repo);
    await git.commitFiles('config', { 'apps/good/cm.yaml': cm('good', 'v1') });
    otherCommit = await git.commitFiles('other', { 'apps/other/cm.yaml': cm('other') });
    hostileCommit = await commitWork(git, 'config', 'main', (w) => {
      const put = (path: string, content: string) => {
        mkdirSync(join(w, path, '..'), { recursive: true });
        writeFileSync(join(w, path), content);
      };
      put('apps/good/cm.yaml', cm('good', 'v2'));
      put('apps/malformed/cm.yaml', `${cm('ok')}---\napiVersion: v1\nkind: ConfigMap\ndata: {a: [1, 2\n`);
      put('apps/not-a-map/list.yaml', '- just\n- a list\n');
      put('apps/invalid-object/cm.yaml', `${cm('fine')}---\n${cm('Bad_Name')}`);
      for (const f of ODD_FILES) put(`apps/odd names/${f}`, cm(`odd-${ODD_FILES.indexOf(f)}`));
      put('apps/odd-bad/ünï côdé -x.yaml', 'kind: [\n');
      put('apps/huge/big.yaml', hugeFile());
      for (const [f, content] of Object.entries(CHART_BOMB)) put(`apps/chart-bomb/${f}`, content);
      put('apps/symlink-file/cm.yaml', cm('a'));
      symlinkSync('/etc/passwd', join(w, 'apps/symlink-file/passwd.yaml'));
      mkdirSync(join(w, 'apps/symlink-dir'), { recursive: true });
      symlinkSync('/etc', join(w, 'apps/symlink-dir/etc'));
      mkdirSync(join(w, 'apps/symlink-relative'), { recursive: true });
      symlinkSync('../../../../../../../../../etc/hostname', join(w, 'apps/symlink-relative/host.yaml'));
      put('apps/fleet-kustomize-dotdot/fleet.yaml', 'kustomize:\n  dir: ../../../../etc\n');
      put('apps/fleet-kustomize-dotdot/cm.yaml', cm('k'));
      put('apps/fleet-values-dotdot/Chart.yaml', CHART_BOMB['Chart.yaml']);
      put('apps/fleet-values-dotdot/fleet.yaml', 'helm:\n  valuesFiles:\n  - values.yaml\n  - ../../../etc/passwd\n');
      put('apps/many/objects.yaml', manyObjects());
    });
    ({ store, engine } = hubEngine(dir));
    for (const repo of ['config', 'other'])
      store.repos.put({ name: repo, url: git.url(repo), pollIntervalSeconds: 3600 });
    store.groups.put({ name: 'dev', selector: 'env=dev' });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'main', group: 'dev' });
    store.environments.put({ name: 'other', repo: 'other', branch: 'main', group: 'dev' });
    for (const c of ['c1', 'c2']) store.clusters.create({ name: c, labels: { env: 'dev' } });
    const put = (name: string, path: string, env = 'dev') =>
      store.targets.put({ name, repo: env === 'dev' ? 'config' : 'other', path, environments: [env] });
    put('good', 'apps/good');
    put('odd-names', 'apps/odd names');
    put('many', 'apps/many');
    put('other', 'apps/other', 'other');
    for (const [name, path] of Object.entries(HOSTILE_TARGETS)) put(name, path);
    engine.start();
    const t0 = performance.now();
    await engine.fetch('config');
    await engine.fetch('other');
    const t1 = performance.now();
    summary = await engine.reconcileNow();
    const targets = Object.keys(HOSTILE_TARGETS).length + 4;
    console.log(
      `hostile commit: fetch ${Math.round(t1 - t0)} ms, one reconcile of ${targets} targets (checkout included) ` +
        `in ${Math.round(performance.now() - t1)} ms`,
    );
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    store?.close();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders the good targets of the same commit and of another repo, on every cluster', () => {
    expect(deployed('good')).toEqual([`c1@${hostileCommit.slice(0, 8)}`, `c2@${hostileCommit.slice(0, 8)}`]);
    expect(deployed('other')).toEqual([`c1@${otherCommit.slice(0, 8)}`, `c2@${otherCommit.slice(0, 8)}`]);
    const bundle = store.deployments.get({ cluster: 'c1', target: 'good', environment: 'dev' })?.bundle ?? '';
    expect(store.bundles.get(bundle)?.objectCount).toBe(1);
    expect(status('good')?.state).toBe('Rendered');
  });

  it('malformed YAML: refused naming file and line', () => {
    expect(status('malformed')).toMatchObject({ state: 'Failed', commit: hostileCommit });
    expect(status('malformed')?.message).toMatch(/^apps\/malformed\/cm\.yaml:11:1: Flow sequence in block collection/);
    expect(status('not-a-map')?.message).toBe(
      'apps/not-a-map/list.yaml:1: a manifest document must be a map (a Kubernetes object), found a list',
    );
    expect(status('invalid-object')?.message).toMatch(/^apps\/invalid-object\/cm\.yaml:8: metadata\.name "Bad_Name"/);
    expect(deployed('malformed')).toEqual([]);
    expect(failedEvents('malformed')).toHaveLength(1);
  });

  it('odd file names (spaces, unicode, leading dashes, 245 characters) render; an error names such a file verbatim', () => {
    const d = store.deployments.get({ cluster: 'c1', target: 'odd-names', environment: 'dev' });
    expect(store.bundles.get(d?.bundle ?? '')?.objectCount).toBe(ODD_FILES.length);
    expect(status('odd-bad')?.message).toMatch(/^apps\/odd-bad\/ünï côdé -x\.yaml:2:1: /);
  });

  it('a 100 MB file: refused naming the file and the limit', () => {
    expect(status('huge')?.message).toBe(
      `apps/huge/big.yaml is ${hugeFile().length} bytes, over the limit of 10485760 bytes for one manifest file`,
    );
    expect(deployed('huge')).toEqual([]);
  });

  it('a chart that expands enormously: refused at the output cap, naming the chart', () => {
    expect(deployed('chart-bomb')).toEqual([]);
    expect(status('chart-bomb')?.message).toBe('helm chart apps/chart-bomb: output exceeds 67108864 bytes');
  });

  it('symlinks pointing outside the repository: refused naming the link', () => {
    expect(status('symlink-file')?.message).toBe(
      'apps/symlink-file/passwd.yaml is a symlink that resolves outside the repository; refusing to read it',
    );
    expect(status('symlink-dir')?.message).toBe(
      'apps/symlink-dir/etc is a symlink that resolves outside the repository; refusing to read it',
    );
    expect(status('symlink-relative')?.message).toBe(
      'apps/symlink-relative/host.yaml is a symlink that resolves outside the repository; refusing to read it',
    );
  });

  it('`../` in fleet.yaml: refused naming fleet.yaml, line and field', () => {
    expect(status('fleet-kustomize-dotdot')?.message).toBe(
      'apps/fleet-kustomize-dotdot/fleet.yaml:2:8: kustomize.dir "../../../../etc" must be a path inside the repository (relative, no "..")',
    );
    expect(status('fleet-values-dotdot')?.message).toBe(
      'apps/fleet-values-dotdot/fleet.yaml:4:5: helm.valuesFiles[1] "../../../etc/passwd" must be a path inside the repository (relative, no "..")',
    );
  });

  it('`../` and absolute target paths: refused naming the path', () => {
    expect(status('path-dotdot')?.message).toBe('target path "../outside" must not contain ".." segments');
    expect(status('path-nested-dotdot')?.message).toBe('target path "apps/../../.." must not contain ".." segments');
    expect(status('path-absolute')?.message).toBe('target path "/etc" must be relative to the repository root');
  });

  it('a bundle of 50,000 objects renders within the limits, once for both clusters', () => {
    const d = store.deployments.list({ target: 'many' });
    expect(d.map((x) => x.cluster)).toEqual(['c1', 'c2']);
    expect(new Set(d.map((x) => x.bundle)).size).toBe(1);
    expect(store.bundles.get(d[0]?.bundle ?? '')?.objectCount).toBe(MANY);
    expect(store.events.list({ kind: 'BundleRendered', target: 'many' })).toHaveLength(1);
  });

  it('each hostile target fails alone, with the same message on both clusters, and keeps no deployment', () => {
    const byTarget = new Map<string, string[]>();
    for (const f of summary.failures)
      byTarget.set(f.target, [...(byTarget.get(f.target) ?? []), `${f.cluster}: ${f.message}`]);
    expect([...byTarget.keys()].sort()).toEqual(Object.keys(HOSTILE_TARGETS).sort());
    for (const [target, failures] of byTarget) {
      const message = status(target)?.message ?? '';
      expect(failures).toEqual([`c1: ${message}`, `c2: ${message}`]);
      expect(status(target)).toMatchObject({ state: 'Failed', commit: hostileCommit });
      expect(failedEvents(target)).toEqual([message]);
      expect(deployed(target)).toEqual([]);
    }
  });
});

describe('crafted Git trees a hostile remote can serve', () => {
  let git: GitServer;
  let dir: string;
  let outside: string;
  let store: hubStore.Store;
  let engine: Engine;

  beforeAll(async () => {
    git = await startGitServer();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-crafted-'));
    outside = mkdtempSync(join(tmpdir(), 'flotilla-outside-'));
    await git.createRepo('crafted');
    await git.commitFiles('crafted', { 'apps/web/cm.yaml': cm('web', 'v1') });
    ({ store, engine } = hubEngine(dir));
    store.repos.put({ name: 'crafted', url: git.url('crafted'), pollIntervalSeconds: 3600 });
    store.environments.put({ name: 'dev', repo: 'crafted', branch: 'main', selector: 'env=dev' });
    store.clusters.create({ name: 'c1', labels: { env: 'dev' } });
    store.targets.put({ name: 'web', repo: 'crafted', path: 'apps/web', environments: ['dev'] });
    engine.start();
    await engine.fetch('crafted');
    await engine.reconcileNow();
  });

  afterAll(async () => {
    await engine?.stop();
    store?.close();
    await git?.stop();
    for (const d of [dir, outside]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const revision = () => store.deployments.get({ cluster: 'c1', target: 'web', environment: 'dev' })?.revision;

  const blob = (content: string) => writeBlob(git, 'crafted', content);
  const tree = (lines: string) => writeTree(git, 'crafted', lines);
  /** A root tree holding apps/web/cm.yaml, `apps` lines and `root` lines besides. */
  const craft = async (o: { apps?: string; root?: string; color: string }) => {
    const web = await tree(`100644 blob ${await blob(cm('web', o.color))}\tcm.yaml\n`);
    const apps = await tree(`040000 tree ${web}\tweb\n${o.apps ?? ''}`);
    return commitTree(git, 'crafted', 'main', await tree(`040000 tree ${apps}\tapps\n${o.root ?? ''}`));
  };

  it('a symlink and a directory of the same name: refused, nothing written outside the hub', async () => {
    const first = revision();
    const sub = await tree(`100644 blob ${await blob(cm('evil'))}\tevil.yaml\n`);
    const link = await blob(outside);
    const commit = await craft({ apps: `120000 blob ${link}\tx\n040000 tree ${sub}\tx\n`, color: 'v2' });
    await engine.fetch('crafted');
    const summary = await engine.reconcileNow();
    expect(readdirSync(outside)).toEqual([]);
    expect(summary.failures[0]?.message).toBe(
      'repo crafted: the tree holds an invalid or duplicate entry "apps/x"; refusing to check it out',
    );
    expect(store.renderStatus.get('web', 'dev')).toMatchObject({ state: 'Failed', commit });
    expect(revision()).toBe(first);
  });

  it('an entry named `..`: refused as an unsafe path, nothing written outside the hub', async () => {
    await craft({ root: `100644 blob ${await blob(cm('evil'))}\t..\n`, color: 'v2' });
    await engine.fetch('crafted');
    const summary = await engine.reconcileNow();
    expect(summary.failures[0]?.message).toMatch(/^repo crafted: commit [0-9a-f]{12} holds an unsafe path .*\.\./);
    expect(existsSync(join(dir, 'trees', '..evil'))).toBe(false);
  });

  it('a clean commit afterwards renders again', async () => {
    // Crafted on top: a clone of this branch would refuse to check out the `..` entry before it.
    const next = await craft({ color: 'v3' });
    await engine.fetch('crafted');
    await engine.reconcileNow();
    expect(revision()).toBe(next);
    expect(store.renderStatus.get('web', 'dev')?.state).toBe('Rendered');
  });
});
