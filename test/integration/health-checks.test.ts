import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Engine, SecretBox, api, protocol, store as hubStore, tools as hubTools } from '@flotilla/hub';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { waitFor } from '../harness/wait.js';

const RULE = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False')",
  current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
};

describe("a target's custom health rules (CEL), set through the API and sent with the desired state", () => {
  let git: GitServer;
  let dir: string;
  let store: hubStore.Store;
  let engine: Engine;
  let app: FastifyInstance;
  let base: string;
  let admin: string;

  const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const put = (healthChecks: unknown[], token = admin) =>
    call<{ message: string; details?: { field: string }; options: Record<string, unknown> }>(
      'PUT',
      '/api/v1/targets/certs/health-checks',
      { healthChecks },
      token,
    );

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/certs/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: certs\n  namespace: default\n',
    });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-health-checks-'));
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
    app = await api.buildServer({ store, secrets, trigger: (repo) => engine.triggerRepo(repo), engine });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const file = api.bootstrapAdminToken(store, dir);
    if (!file) throw new Error('no bootstrap token written');
    admin = readFileSync(file, 'utf8').trim();
    expect((await call('POST', '/api/v1/repos', { name: 'config', url: git.url('config') })).status).toBe(201);
    const env = { name: 'prod', repo: 'config', branch: 'main', selector: 'env=prod' };
    expect((await call('POST', '/api/v1/environments', env)).status).toBe(201);
    const reg = await call<{ token: string }>('POST', '/api/v1/clusters', { name: 'edge-1', labels: { env: 'prod' } });
    protocol.register(store, { token: reg.body.token, clusterName: 'edge-1' });
    const target = { name: 'certs', repo: 'config', path: 'apps/certs', environments: ['prod'] };
    expect((await call('POST', '/api/v1/targets', target)).status).toBe(201);
  });

  afterAll(async () => {
    await app?.close();
    await engine?.stop();
    store?.close();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an expression that does not parse, naming its field', async () => {
    const r = await put([RULE, { ...RULE, apiVersion: 'example.com/v1', kind: 'Widget', current: 'status.phase ==' }]);
    expect(r.status).toBe(400);
    expect(r.body.details?.field).toBe('healthChecks[1].current');
    expect(r.body.message).toMatch(/^healthChecks\[1\]\.current: Unexpected/);
  });

  it('refuses two rules for one kind, and a rule without current', async () => {
    expect((await put([RULE, { ...RULE, apiVersion: 'cert-manager.io/v2' }])).body.message).toBe(
      'healthChecks[1]: Certificate (cert-manager.io/v2) already has a rule: healthChecks[0]',
    );
    expect((await put([{ apiVersion: 'a.io/v1', kind: 'A' }])).status).toBe(400);
  });

  it('needs the admin role', async () => {
    const op = await call<{ token: string }>('POST', '/api/v1/tokens', { name: 'ops', role: 'operator' });
    expect((await put([RULE], op.body.token)).status).toBe(403);
  });

  it("keeps them in the target's options and sends them to its clusters' agents with the bundle", async () => {
    const r = await put([RULE]);
    expect(r.status).toBe(200);
    expect(r.body.options.healthChecks).toEqual([{ ...RULE, inProgress: '' }]);
    const wire = () => protocol.desiredFor(store, 'edge-1').deployments[0]?.options?.healthChecks;
    await waitFor(() => isDeepStrictEqual(wire(), [{ ...RULE, inProgress: '' }]), {
      what: 'the rules in the desired state of edge-1',
      timeoutMs: 20_000,
    });
    const generation = store.deployments.get({ cluster: 'edge-1', target: 'certs', environment: 'prod' })?.generation;
    expect(wire()).toEqual([
      { apiVersion: RULE.apiVersion, kind: RULE.kind, current: RULE.current, inProgress: '', failed: RULE.failed },
    ]);
    // Cleared: none go out any more.
    expect((await put([])).body.options.healthChecks).toBeUndefined();
    await waitFor(() => wire()?.length === 0, { what: 'no rules in edge-1 desired state', timeoutMs: 20_000 });
    // A change of rules alone is a new generation of the deployment: agents apply it.
    expect(store.deployments.get({ cluster: 'edge-1', target: 'certs', environment: 'prod' })?.generation).toBe(
      (generation ?? 0) + 1,
    );
  });
});
