import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Engine, SecretBox, api, protocol, status, store as hubStore, tools as hubTools } from '@flotilla/hub';
import type { ClusterSummary, DeploymentView, FleetEvent, Promotion, Rollback, StatusView } from '@flotilla/proto/api';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { OpenApiContract, type OpenApiDocument } from '../harness/openapi-contract.js';
import { waitFor } from '../harness/wait.js';

const cm = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  value: "${value}"\n`;

interface Reply<T = unknown> {
  status: number;
  body: T;
}

describe('hub HTTP API (real store, real Git over HTTP, real engine)', () => {
  let git: GitServer;
  let dir: string;
  let store: hubStore.Store;
  let engine: Engine;
  let app: FastifyInstance;
  let base: string;
  let admin: string;
  let operator = '';
  let viewer = '';
  /** Every JSON answer of the suite, checked against /openapi.json at the end. */
  const answers: { method: string; path: string; status: number; body: unknown }[] = [];

  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token: string | undefined = admin,
  ): Promise<Reply<T>> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    answers.push({ method, path, status: res.status, body: parsed });
    return { status: res.status, body: parsed as T };
  };

  const deployment = (cluster: string, environment: string) =>
    store.deployments.get({ cluster, target: 'web', environment });
  /** Reports a deployment Ready for its current generation, as its agent would. */
  const reportReady = (cluster: string, environment: string) => {
    const d = deployment(cluster, environment);
    if (!d) throw new Error(`no deployment of web on ${cluster} in ${environment}`);
    status.foldStatus(store, {
      cluster,
      target: 'web',
      environment,
      generation: d.generation,
      state: 'Ready',
      objects: { total: 1, ready: 1, notReady: [] },
    });
  };
  const waitRevision = (cluster: string, environment: string, commit: string) =>
    waitFor(() => deployment(cluster, environment)?.revision === commit, {
      what: `web on ${cluster} (${environment}) at ${commit.slice(0, 12)}`,
      timeoutMs: 20_000,
    });

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'apps/web/cm.yaml': cm('v1') }, { message: 'v1' });
    await git.createBranch('config', 'staging', 'main');
    await git.createBranch('config', 'prod', 'main');
    dir = mkdtempSync(join(tmpdir(), 'flotilla-api-'));
    store = hubStore.openStore(join(dir, 'hub.db'));
    const secrets = SecretBox.loadOrCreate(join(dir, 'hub.key'));
    engine = new Engine({
      store,
      dataDir: dir,
      secrets,
      tools: { helm: 'helm', kustomize: 'kustomize', sandbox: hubTools.bwrapSandbox() },
      jitter: 0,
    });
    engine.start();
    const metrics = new api.HubMetrics({ store, staleAfterMs: 45_000, processMetrics: false });
    app = await api.buildServer({
      store,
      secrets,
      trigger: (repo) => engine.triggerRepo(repo),
      engine,
      metrics,
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

  describe('auth', () => {
    it('writes the first admin token to a 0600 file once, and only when there is no token', () => {
      expect(admin).toMatch(/^flapi_/);
      expect(statSync(join(dir, 'admin.token')).mode & 0o777).toBe(0o600);
      expect(api.bootstrapAdminToken(store, dir)).toBeUndefined();
      expect(store.apiTokens.list().every((t) => !JSON.stringify(t).includes(admin))).toBe(true);
    });

    it('refuses a request without a token, with what to do', async () => {
      const r = await call<{ code: string; message: string; hint: string }>('GET', '/api/v1/clusters', undefined, '');
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('UNAUTHENTICATED');
      expect(r.body.hint).toMatch(/fleet login/);
      expect((await call('GET', '/api/v1/clusters', undefined, 'flapi_not-a-token')).status).toBe(401);
    });

    it('creates tokens with roles; a role too low is refused with 403 naming the role needed', async () => {
      const v = await call<{ token: string; role: string }>('POST', '/api/v1/tokens', {
        name: 'ci-viewer',
        role: 'viewer',
      });
      expect(v.status).toBe(201);
      viewer = v.body.token;
      const o = await call<{ token: string }>('POST', '/api/v1/tokens', { name: 'alice', role: 'operator' });
      operator = o.body.token;
      expect((await call('GET', '/api/v1/whoami', undefined, viewer)).body).toEqual({
        name: 'ci-viewer',
        role: 'viewer',
      });
      const denied = await call<{ code: string; message: string }>(
        'POST',
        '/api/v1/repos',
        { name: 'x', url: 'http://example.invalid/x.git' },
        viewer,
      );
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('FORBIDDEN');
      expect(denied.body.message).toMatch(/role viewer.*needs admin/);
      expect((await call('GET', '/api/v1/tokens', undefined, operator)).status).toBe(403);
      const dup = await call('POST', '/api/v1/tokens', { name: 'alice', role: 'viewer' });
      expect(dup.status).toBe(409);
    });

    it('a revoked token is refused; the last admin token cannot revoke itself', async () => {
      const t = await call<{ token: string }>('POST', '/api/v1/tokens', { name: 'temp', role: 'viewer' });
      expect((await call('GET', '/api/v1/whoami', undefined, t.body.token)).status).toBe(200);
      expect((await call('DELETE', '/api/v1/tokens/temp')).status).toBe(204);
      const r = await call<{ message: string }>('GET', '/api/v1/whoami', undefined, t.body.token);
      expect(r.status).toBe(401);
      expect(r.body.message).toMatch(/revoked/);
      const self = await call<{ code: string }>('DELETE', '/api/v1/tokens/bootstrap-admin');
      expect(self.status).toBe(409);
      const list = await call<{ items: { name: string; token?: string }[] }>('GET', '/api/v1/tokens');
      expect(list.body.items.map((i) => i.name)).toEqual(['bootstrap-admin', 'ci-viewer', 'alice', 'temp']);
      expect(list.body.items.every((i) => i.token === undefined && !('tokenHash' in i))).toBe(true);
    });
  });

  describe('configuration', () => {
    it('refuses unknown fields and bad names, naming the field', async () => {
      const extra = await call<{ code: string; message: string }>('POST', '/api/v1/repos', {
        name: 'config',
        url: git.url('config'),
        branch: 'main',
      });
      expect(extra.status).toBe(400);
      expect(extra.body.message).toMatch(/unknown field "branch"/);
      const bad = await call<{ message: string }>('POST', '/api/v1/repos', {
        name: 'Bad Name',
        url: git.url('config'),
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/body\.name/);
    });

    it('adds a repo, groups, environments, clusters and a target; the hub renders what each cluster must run', async () => {
      const repo = await call<{ name: string; webhook: boolean; auth?: Record<string, string> }>(
        'POST',
        '/api/v1/repos',
        {
          name: 'config',
          url: git.url('config'),
          pollIntervalSeconds: 3600,
          auth: { username: 'u', token: 'secret-token' },
        },
      );
      expect(repo.status).toBe(201);
      expect(repo.body.auth).toEqual({ username: 'u', token: '(sealed)' });
      // The credential is stored sealed, never in clear.
      expect(JSON.stringify(store.repos.get('config'))).not.toContain('secret-token');
      expect((await call('PUT', '/api/v1/groups/staging-clusters', { selector: 'env=staging' })).status).toBe(200);
      const badSel = await call<{ message: string }>('PUT', '/api/v1/groups/broken', { selector: 'env in (' });
      expect(badSel.status).toBe(400);
      expect(
        (
          await call('POST', '/api/v1/environments', {
            name: 'staging',
            repo: 'config',
            branch: 'staging',
            group: 'staging-clusters',
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await call('POST', '/api/v1/environments', {
            name: 'prod',
            repo: 'config',
            branch: 'prod',
            selector: 'env=prod',
          })
        ).status,
      ).toBe(201);
      const missing = await call<{ message: string }>('POST', '/api/v1/environments', {
        name: 'qa',
        repo: 'nope',
        branch: 'qa',
      });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toMatch(/repo "nope" does not exist/);

      for (const [name, env] of [
        ['edge-1', 'staging'],
        ['edge-2', 'prod'],
      ] as const) {
        const reg = await call<{ token: string; cluster: string; hubAddress: string }>(
          'POST',
          '/api/v1/clusters',
          { name, labels: { env } },
          operator,
        );
        expect(reg.status).toBe(201);
        expect(reg.body.hubAddress).toBe('127.0.0.1:9443');
        const listed = await call<{ items: ClusterSummary[] }>('GET', '/api/v1/clusters', undefined, viewer);
        expect(listed.body.items.find((c) => c.name === name)).toMatchObject({
          registered: false,
          condition: 'NeverSeen',
        });
        // The agent side of registration, against the same store: the token is good once.
        protocol.register(store, { token: reg.body.token, clusterName: name });
        expect(() => protocol.register(store, { token: reg.body.token, clusterName: name })).toThrow(/already used/);
      }
      const target = await call('POST', '/api/v1/targets', {
        name: 'web',
        repo: 'config',
        path: 'apps/web',
        environments: ['staging', 'prod'],
        options: { selfHeal: false },
      });
      expect(target.status).toBe(201);
      const escape = await call<{ message: string }>('POST', '/api/v1/targets', {
        name: 'evil',
        repo: 'config',
        path: '../outside',
        environments: ['prod'],
      });
      expect(escape.status).toBe(400);
      expect(escape.body.message).toMatch(/leaves the repository/);

      expect((await call('POST', '/api/v1/repos/config/sync', undefined, operator)).status).toBe(202);
      const v1 = await git.head('config', 'staging');
      await waitRevision('edge-1', 'staging', v1);
      await waitRevision('edge-2', 'prod', v1);
      // The target's own option reaches the agent: self-heal off.
      expect(deployment('edge-1', 'staging')?.options.selfHeal).toBe(false);

      const c = await call<{ environments: string[]; groups: string[]; deploymentList: unknown[] }>(
        'GET',
        '/api/v1/clusters/edge-1',
      );
      expect(c.body.environments).toEqual(['staging']);
      expect(c.body.groups).toEqual(['staging-clusters']);
      expect(c.body.deploymentList).toHaveLength(1);
      const envs = await call<{ items: { name: string; clusters: string[]; commit: string }[] }>(
        'GET',
        '/api/v1/environments',
      );
      expect(envs.body.items.map((e) => [e.name, e.clusters, e.commit])).toEqual([
        ['prod', ['edge-2'], v1],
        ['staging', ['edge-1'], v1],
      ]);
      const targets = await call<{ items: { renders: { state: string }[] }[] }>('GET', '/api/v1/targets');
      expect(targets.body.items[0]?.renders.map((r) => r.state)).toEqual(['Rendered', 'Rendered']);
      const bundles = await call<{ items: { digest: string; usedBy: unknown[] }[] }>('GET', '/api/v1/bundles');
      expect(bundles.body.items).toHaveLength(1);
      const b = await call<{ objects: unknown[] }>(
        'GET',
        `/api/v1/bundles/${bundles.body.items[0]?.digest.slice(0, 12)}`,
      );
      expect(b.body.objects).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'web' }]);
    });

    it("sets the hosts a repo's renders may fetch charts from: admin only, each entry checked", async () => {
      const bad = await call<{ message: string }>('PUT', '/api/v1/repos/config/render-hosts', {
        renderHosts: ['charts.example.com', 'http://x/'],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/renderHosts\[1\] "http:\/\/x\/" must be a host name/);
      expect(
        (await call('PUT', '/api/v1/repos/config/render-hosts', { renderHosts: ['a.example'] }, operator)).status,
      ).toBe(403);
      const ok = await call<{ renderHosts: string[] }>('PUT', '/api/v1/repos/config/render-hosts', {
        renderHosts: ['charts.example.com', '*.github.io', '10.1.0.0/16', '127.0.0.1'],
      });
      expect(ok.status).toBe(200);
      expect((await call<{ renderHosts: string[] }>('GET', '/api/v1/repos/config')).body.renderHosts).toEqual([
        'charts.example.com',
        '*.github.io',
        '10.1.0.0/16',
        '127.0.0.1',
      ]);
      expect((await call('PUT', '/api/v1/repos/config/render-hosts', { renderHosts: [] })).status).toBe(200);
      expect(store.repos.get('config')?.renderHosts).toBeUndefined();
    });

    it('status lists environments x clusters with the worst state first', async () => {
      reportReady('edge-1', 'staging');
      const s = await call<StatusView>('GET', '/api/v1/status', undefined, viewer);
      expect(s.body.state).toBe('Pending');
      expect(s.body.environments.map((e) => [e.name, e.state])).toEqual([
        ['prod', 'Pending'],
        ['staging', 'Ready'],
      ]);
      expect(s.body.environments[0]?.clusters[0]).toMatchObject({
        cluster: 'edge-2',
        state: 'Pending',
        // Heard lately (its reports), but this API has no agent transport: no agent holds a connection.
        condition: 'Disconnected',
      });
      const only = await call<StatusView>('GET', '/api/v1/status?environment=staging');
      expect(only.body.environments).toHaveLength(1);
      expect((await call('GET', '/api/v1/status?environment=nope')).status).toBe(404);
      const ready = await call<{ items: DeploymentView[] }>('GET', '/api/v1/deployments?state=Ready');
      expect(ready.body.items).toHaveLength(1);
      expect(ready.body.items[0]?.objects).toStrictEqual({ total: 1, ready: 1, notReady: [] });
      // Not reported on yet: no objects known, and none made up.
      const pending = await call<{ items: DeploymentView[] }>('GET', '/api/v1/deployments?state=Pending');
      expect(pending.body.items[0]).not.toHaveProperty('objects');
    });
  });

  describe('promotion and rollback', () => {
    it('promotes by fast-forward and rolls the destination out', async () => {
      const v2 = await git.commitFiles(
        'config',
        { 'apps/web/cm.yaml': cm('v2') },
        { branch: 'staging', message: 'v2' },
      );
      await engine.fetch('config');
      await waitRevision('edge-1', 'staging', v2);
      const p = await call<Promotion>('POST', '/api/v1/promotions', { from: 'staging', to: 'prod' }, operator);
      expect(p.status).toBe(201);
      expect(p.body).toMatchObject({ kind: 'fast-forward', fromCommit: v2, commit: v2, commits: [v2], actor: 'alice' });
      expect(await git.head('config', 'prod')).toBe(v2);
      await waitRevision('edge-2', 'prod', v2);
      const again = await call<Promotion>('POST', '/api/v1/promotions', { from: 'staging', to: 'prod' }, operator);
      expect(again.status).toBe(200);
      expect(again.body.kind).toBe('up-to-date');
    });

    it('with requireHealthy, refuses while the source is not Ready at the commit, then promotes', async () => {
      const v3 = await git.commitFiles(
        'config',
        { 'apps/web/cm.yaml': cm('v3') },
        { branch: 'staging', message: 'v3' },
      );
      await engine.fetch('config');
      await waitRevision('edge-1', 'staging', v3);
      const refused = await call<{ code: string; message: string; details: { notReady: unknown[] } }>(
        'POST',
        '/api/v1/promotions',
        { from: 'staging', to: 'prod', requireHealthy: true },
        operator,
      );
      expect(refused.status).toBe(412);
      expect(refused.body.code).toBe('NOT_HEALTHY');
      expect(refused.body.message).toMatch(/edge-1\/web is Pending/);
      expect(refused.body.details.notReady).toHaveLength(1);
      expect(await git.head('config', 'prod')).not.toBe(v3);
      reportReady('edge-1', 'staging');
      const ok = await call<Promotion>(
        'POST',
        '/api/v1/promotions',
        { from: 'staging', to: 'prod', requireHealthy: true },
        operator,
      );
      expect(ok.status).toBe(201);
      expect(await git.head('config', 'prod')).toBe(v3);
    });

    it('promotes with a merge commit when the destination has commits of its own', async () => {
      const own = await git.commitFiles(
        'config',
        { 'apps/web/prod-only.yaml': cm('prod').replace('name: web', 'name: prod-only') },
        { branch: 'prod', message: 'prod only' },
      );
      const v4 = await git.commitFiles(
        'config',
        { 'apps/web/cm.yaml': cm('v4') },
        { branch: 'staging', message: 'v4' },
      );
      const p = await call<Promotion>('POST', '/api/v1/promotions', { from: 'staging', to: 'prod' }, operator);
      expect(p.status).toBe(201);
      expect(p.body.kind).toBe('merge');
      expect(p.body.previousCommit).toBe(own);
      const head = await git.head('config', 'prod');
      expect(head).toBe(p.body.commit);
      expect(await git.parents('config', head)).toEqual([own, v4]);
      expect(await git.readFile('config', 'prod', 'apps/web/cm.yaml')).toBe(cm('v4'));
      expect(await git.readFile('config', 'prod', 'apps/web/prod-only.yaml')).toContain('prod-only');
      await waitRevision('edge-2', 'prod', head);
    });

    it('refuses a promotion that conflicts, listing the files, and pushes nothing', async () => {
      await git.commitFiles('config', { 'apps/web/cm.yaml': cm('staging-x') }, { branch: 'staging' });
      const prodHead = await git.commitFiles('config', { 'apps/web/cm.yaml': cm('prod-y') }, { branch: 'prod' });
      const r = await call<{ code: string; message: string; details: { files: string[] } }>(
        'POST',
        '/api/v1/promotions',
        { from: 'staging', to: 'prod' },
        operator,
      );
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('PROMOTION_CONFLICT');
      expect(r.body.details.files).toEqual(['apps/web/cm.yaml']);
      expect(r.body.message).toMatch(/by hand/);
      expect(await git.head('config', 'prod')).toBe(prodHead);
      const unknown = await call<{ code: string }>(
        'POST',
        '/api/v1/promotions',
        { from: 'staging', to: 'nowhere' },
        operator,
      );
      expect(unknown.status).toBe(404);
      expect((await call('POST', '/api/v1/promotions', { from: 'staging', to: 'prod' }, viewer)).status).toBe(403);
    });

    it('rolls back with a commit restoring the previous tree; the clusters get the earlier bundle back', async () => {
      await engine.fetch('config');
      const head = await git.head('config', 'prod');
      await waitRevision('edge-2', 'prod', head);
      const [parent = ''] = await git.parents('config', head);
      const parentBundle = (
        await call<{ items: { revision?: string; bundle: string }[] }>('GET', '/api/v1/deployments?environment=prod')
      ).body;
      expect(parentBundle.items).toHaveLength(1);
      const r = await call<Rollback>('POST', '/api/v1/rollbacks', { environment: 'prod' }, operator);
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        environment: 'prod',
        previousCommit: head,
        restoredCommit: parent,
        actor: 'alice',
      });
      const newHead = await git.head('config', 'prod');
      expect(newHead).toBe(r.body.commit);
      expect(await git.parents('config', newHead)).toEqual([head]);
      expect(await git.readFile('config', newHead, 'apps/web/cm.yaml')).toBe(
        await git.readFile('config', parent, 'apps/web/cm.yaml'),
      );
      await waitRevision('edge-2', 'prod', newHead);
      expect(await git.readFile('config', newHead, 'apps/web/cm.yaml')).toBe(cm('v4'));

      const first = (await git.parents('config', parent))[0] ?? '';
      const bad = await call<{ message: string }>(
        'POST',
        '/api/v1/rollbacks',
        { environment: 'prod', to: 'deadbeef' },
        operator,
      );
      expect(bad.status).toBe(404);
      expect(bad.body.message).toMatch(/not in the history/);
      const to = await call<Rollback>(
        'POST',
        '/api/v1/rollbacks',
        { environment: 'prod', to: first.slice(0, 10) },
        operator,
      );
      expect(to.status).toBe(201);
      expect(to.body.restoredCommit).toBe(first);
      expect((await call<{ items: Rollback[] }>('GET', '/api/v1/rollbacks')).body.items).toHaveLength(2);
      const promotions = (await call<{ items: Promotion[] }>('GET', '/api/v1/promotions?environment=prod')).body.items;
      expect(promotions.map((p) => p.kind)).toEqual(['fast-forward', 'up-to-date', 'fast-forward', 'merge']);
    });
  });

  describe('observability', () => {
    it('lists events with their actor and streams new ones live, resuming after Last-Event-ID', async () => {
      const audit = await call<{ items: FleetEvent[] }>('GET', '/api/v1/events?kind=Rollback', undefined, viewer);
      expect(audit.body.items.map((e) => e.actor)).toEqual(['alice', 'alice']);
      const last = store.events.lastId();
      const ctl = new AbortController();
      const res = await fetch(`${base}/api/v1/events/stream?kind=ClusterRevoked`, {
        headers: { authorization: `Bearer ${viewer}`, 'last-event-id': String(last) },
        signal: ctl.signal,
      });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      const revoke = await call<ClusterSummary>('POST', '/api/v1/clusters/edge-1/revoke');
      expect(revoke.body).toMatchObject({ condition: 'Revoked', registered: false });
      await waitFor(
        async () => {
          const { value } = await reader.read();
          text += new TextDecoder().decode(value);
          return /event: ClusterRevoked/.test(text);
        },
        { what: 'ClusterRevoked on the event stream', timeoutMs: 10_000 },
      );
      ctl.abort();
      const data = JSON.parse(/data: (.*)/.exec(text)?.[1] ?? '{}') as FleetEvent;
      expect(data).toMatchObject({ kind: 'ClusterRevoked', cluster: 'edge-1', actor: 'bootstrap-admin' });
      expect(text).toMatch(new RegExp(`id: ${data.id}`));
    });

    it('shows current drift and its history', async () => {
      const slot = { cluster: 'edge-2', target: 'web', environment: 'prod' };
      store.events.append({
        kind: 'DriftDetected',
        ...slot,
        payload: { object: 'ConfigMap/default/web', fields: [{ path: '/data/value' }], manager: 'kubectl-edit' },
      });
      store.events.append({
        kind: 'DriftDetected',
        ...slot,
        payload: { object: 'Deployment/default/api', fields: [], manager: 'kubectl-scale' },
      });
      store.events.append({
        kind: 'DriftCorrected',
        ...slot,
        payload: { object: 'ConfigMap/default/web', fields: [] },
      });
      const current = await call<{ items: { object: string; manager: string }[] }>(
        'GET',
        '/api/v1/drift?cluster=edge-2',
      );
      expect(current.body.items.map((d) => [d.object, d.manager])).toEqual([
        ['Deployment/default/api', 'kubectl-scale'],
      ]);
      const history = await call<{ items: { object: string; corrected: boolean }[] }>(
        'GET',
        '/api/v1/drift?history=true',
      );
      expect(history.body.items.map((d) => [d.object, d.corrected])).toEqual([
        ['ConfigMap/default/web', true],
        ['Deployment/default/api', false],
      ]);
    });

    it('serves Prometheus metrics with the GitOps indicators per environment', async () => {
      const res = await fetch(`${base}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      const value = (line: string) =>
        Number(new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(value('flotilla_environment_promotions_total{environment="prod"}')).toBe(4);
      expect(value('flotilla_environment_rollbacks_total{environment="prod"}')).toBe(2);
      expect(value('flotilla_environment_drift_incidents_total{environment="prod"}')).toBe(2);
      expect(value('flotilla_environment_rollouts_total{environment="staging",result="succeeded"}')).toBe(2);
      expect(value('flotilla_environment_rollout_success_ratio{environment="staging"}')).toBe(1);
      expect(value('flotilla_environment_deployments_total{environment="staging"}')).toBeGreaterThanOrEqual(4);
      expect(value('flotilla_deployments{state="Pending",environment="prod"}')).toBe(1);
      expect(value('flotilla_agents_connected')).toBe(0);
      expect(value('flotilla_clusters{condition="Revoked"}')).toBe(1);
      expect(text).toMatch(/flotilla_apply_duration_seconds_count\{environment="staging"\} 2/);
    });

    it('describes every route in /openapi.json', async () => {
      const res = await call<{
        openapi: string;
        paths: Record<string, Record<string, { responses: object; security: unknown[] }>>;
      }>('GET', '/openapi.json', undefined, '');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toBe('3.1.0');
      const documented = Object.entries(res.body.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
      );
      for (const route of [
        'GET /api/v1/clusters',
        'POST /api/v1/clusters',
        'PATCH /api/v1/clusters/{name}/labels',
        'PUT /api/v1/groups/{name}',
        'POST /api/v1/repos',
        'POST /api/v1/environments',
        'POST /api/v1/targets',
        'GET /api/v1/bundles/{digest}',
        'GET /api/v1/deployments',
        'GET /api/v1/status',
        'GET /api/v1/drift',
        'GET /api/v1/events',
        'GET /api/v1/events/stream',
        'POST /api/v1/promotions',
        'POST /api/v1/rollbacks',
        'POST /api/v1/tokens',
        'DELETE /api/v1/tokens/{name}',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /api/v1/webhooks/{repo}',
      ]) {
        expect(documented).toContain(route);
      }
      const promote = res.body.paths['/api/v1/promotions']?.post;
      expect(Object.keys(promote?.responses ?? {})).toEqual(expect.arrayContaining(['201', '200', '401', '403']));
      expect(res.body.paths['/healthz']?.get?.security).toEqual([]);
    });
  });

  describe('clusters', () => {
    it('relabels (moving the cluster between environments), and removes a cluster', async () => {
      const r = await call<ClusterSummary>(
        'PATCH',
        '/api/v1/clusters/edge-2/labels',
        { set: { env: 'staging', tier: 'edge' } },
        operator,
      );
      expect(r.body.labels).toEqual({ env: 'staging', tier: 'edge' });
      await waitFor(() => deployment('edge-2', 'staging') !== undefined && deployment('edge-2', 'prod') === undefined, {
        what: 'edge-2 moved from prod to staging',
        timeoutMs: 20_000,
      });
      expect((await call('DELETE', '/api/v1/clusters/edge-2', undefined, operator)).status).toBe(403);
      expect((await call('DELETE', '/api/v1/clusters/edge-2')).status).toBe(204);
      const gone = await call<{ code: string; hint: string }>('GET', '/api/v1/clusters/edge-2');
      expect(gone.status).toBe(404);
      expect(gone.body.hint).toMatch(/fleet clusters list/);
      const route = await call<{ code: string }>('GET', '/api/v1/nothing-here');
      expect(route.status).toBe(404);
    });
  });

  it('answers as /openapi.json says: every answer above, and every GET, matches its documented schema', async () => {
    const doc = (await call<OpenApiDocument>('GET', '/openapi.json', undefined, '')).body;
    const bundle = (await call<{ items: { digest: string }[] }>('GET', '/api/v1/bundles')).body.items[0]?.digest;
    for (const path of [
      '/healthz',
      '/readyz',
      '/api/v1/hub',
      '/api/v1/clusters/edge-1',
      '/api/v1/groups',
      '/api/v1/groups/staging-clusters',
      '/api/v1/repos',
      '/api/v1/environments',
      '/api/v1/environments/prod',
      '/api/v1/targets/web',
      `/api/v1/bundles/${bundle}`,
      '/api/v1/drift?history=true',
      '/api/v1/events?newest=true&limit=50',
      '/api/v1/events?kind=Nope',
    ]) {
      await call('GET', path);
    }
    const contract = new OpenApiContract(doc);
    const checked = answers.filter((a) => (a.body as { message?: string })?.message?.startsWith('no route ') !== true);
    expect(checked.length).toBeGreaterThan(60);
    expect(checked.flatMap((a) => contract.problems(a.method, a.path, a.status, a.body))).toEqual([]);
  });
});
