import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { api, SecretBox, type Engine, type store as hubStore } from '@flotilla/hub';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { hubEngine } from './reliability/repo-support.js';

// Issue #19, item 10: a target's own Helm values and values files, set through the API, reach the
// chart over fleet.yaml's, with cluster labels substituted, and take part in the render cache key.

const CHART = {
  'apps/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'apps/web/values.yaml': 'a: chart\nb: chart\nc: chart\nd: chart\n',
  'apps/web/templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: web, namespace: default}',
    'data:',
    '{{- range $k := list "a" "b" "c" "d" }}',
    '  {{ $k }}: {{ index $.Values $k | quote }}',
    '{{- end }}',
    '',
  ].join('\n'),
  'apps/web/values-fleet.yaml': 'a: fleet-file\nb: fleet-file\nc: fleet-file\n',
  'apps/web/values-api.yaml': 'a: api-file\nb: api-file\n',
  'apps/web/fleet.yaml': 'helm:\n  valuesFiles: [values-fleet.yaml]\n  values: {c: fleet-inline}\n',
  'apps/plain/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: default}\n',
};

interface Reply<T> {
  status: number;
  body: T;
}

describe('per-target Helm values from the API (real engine, Git over HTTP, helm in the sandbox)', () => {
  let git: GitServer;
  let dir: string;
  let store: hubStore.Store;
  let engine: Engine;
  let app: FastifyInstance;
  let base: string;
  let admin: string;

  const call = async <T = { message: string; hint?: string }>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply<T>> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  /** The ConfigMap's data the chart rendered for the target on a cluster. */
  const dataOn = (target: string, cluster: string): Record<string, string> | undefined => {
    const d = store.deployments.list({ target }).find((x) => x.cluster === cluster);
    const text = d ? store.bundles.content(d.bundle)?.toString('utf8') : undefined;
    const object = text?.split('\n').find((line) => line.includes('"kind":"ConfigMap"'));
    return object ? (JSON.parse(object) as { data: Record<string, string> }).data : undefined;
  };

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', CHART, { message: 'chart' });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-helm-values-'));
    ({ store, engine } = hubEngine(dir));
    store.repos.put({ name: 'config', url: git.url('config'), pollIntervalSeconds: 3600 });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'main', selector: 'env=dev' });
    store.clusters.create({ name: 'eu-1', labels: { env: 'dev', region: 'eu' } });
    store.clusters.create({ name: 'us-1', labels: { env: 'dev', region: 'us' } });
    engine.start();
    app = await api.buildServer({
      store,
      secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')),
      trigger: (repo) => engine.triggerRepo(repo),
      engine,
      metrics: new api.HubMetrics({ store, staleAfterMs: 45_000, processMetrics: false }),
      hubInfo: () => ({ version: 'test', transport: 'grpc', agentAddress: '127.0.0.1:9443' }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const file = api.bootstrapAdminToken(store, dir);
    if (!file) throw new Error('no bootstrap token written');
    admin = readFileSync(file, 'utf8').trim();
  });

  afterAll(async () => {
    await app?.close();
    await engine?.stop();
    store?.close();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('merges fleet.yaml, then the target: files first, inline values over them, labels substituted', async () => {
    const created = await call<{ options: unknown }>('POST', '/api/v1/targets', {
      name: 'web',
      repo: 'config',
      path: 'apps/web',
      environments: ['dev'],
      options: { helm: { values: { b: 'api-${ .ClusterLabels.region }' }, valuesFiles: ['values-api.yaml'] } },
    });
    expect(created.status).toBe(201);
    expect(created.body.options).toEqual({
      helm: { values: { b: 'api-${ .ClusterLabels.region }' }, valuesFiles: ['values-api.yaml'] },
    });
    await engine.fetch('config');
    await engine.reconcileNow();
    // a: the target's file over fleet.yaml's; b: the target's inline value over every file, per cluster;
    // c: fleet.yaml's inline value over both files; d: the chart's default.
    expect(dataOn('web', 'eu-1')).toEqual({ a: 'api-file', b: 'api-eu', c: 'fleet-inline', d: 'chart' });
    expect(dataOn('web', 'us-1')).toEqual({ a: 'api-file', b: 'api-us', c: 'fleet-inline', d: 'chart' });
  });

  it('renders again when only the target options change (they are part of the render cache key)', async () => {
    const before = store.deployments.list({ target: 'web' }).map((d) => d.bundle);
    expect([200, 204]).toContain((await call('DELETE', '/api/v1/targets/web')).status);
    // The removal is finished by a reconcile (its deployments go, then the target).
    await engine.reconcileNow();
    expect(store.targets.get('web')).toBeUndefined();
    const created = await call('POST', '/api/v1/targets', {
      name: 'web',
      repo: 'config',
      path: 'apps/web',
      environments: ['dev'],
      options: { helm: { values: { d: 'changed' } } },
    });
    expect(created.status).toBe(201);
    await engine.reconcileNow();
    expect(dataOn('web', 'eu-1')).toEqual({ a: 'fleet-file', b: 'fleet-file', c: 'fleet-inline', d: 'changed' });
    expect(store.deployments.list({ target: 'web' }).map((d) => d.bundle)).not.toEqual(before);
  });

  it.each([
    [
      'a values file out of the repository',
      { valuesFiles: ['../secrets.yaml'] },
      /valuesFiles\[0\] "\.\.\/secrets\.yaml" must be a path inside the repository/,
    ],
    [
      'an absolute values file',
      { valuesFiles: ['ok.yaml', '/etc/passwd'] },
      /valuesFiles\[1\] "\/etc\/passwd" must be a path inside/,
    ],
    ['values that are not a map', { values: ['a'] }, /options\.helm\.values: must be object/],
    ['an unknown Helm option', { valuesFrom: [] }, /unknown field "valuesFrom"/],
  ])('refuses %s, naming the field', async (_name, helm, message) => {
    const r = await call('POST', '/api/v1/targets', {
      name: 'bad',
      repo: 'config',
      path: 'apps/web',
      environments: ['dev'],
      options: { helm },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(message);
    expect(store.targets.get('bad')).toBeUndefined();
  });

  it('fails the render of a path that is not a chart, saying the values have nowhere to go', async () => {
    const r = await call('POST', '/api/v1/targets', {
      name: 'plain',
      repo: 'config',
      path: 'apps/plain',
      environments: ['dev'],
      options: { helm: { values: { a: 1 } } },
    });
    expect(r.status).toBe(201);
    await engine.reconcileNow();
    expect(store.renderStatus.get('plain', 'dev')).toMatchObject({
      state: 'Failed',
      message: expect.stringMatching(
        /target plain sets Helm values in its options, but "apps\/plain" renders as plain YAML/,
      ),
    });
  });
});
