import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubProcess, type HubProcess } from '../../harness/hub.js';
import { hubClients, type AgentStream } from './hub-agents.js';

/**
 * Finding 5: after an admin revoked `c2`, an operator's `POST /clusters {name: c2}` and a Register
 * gave a working credential and cleared `revokedAt`; the same route let an operator take over any
 * existing cluster's identity. Here, against a `flotilla-hub serve` process: minting a token for a
 * cluster that exists (revoked or not) is an admin action; an operator still registers new clusters.
 */
interface ApiErrorBody {
  code: string;
  message: string;
  hint?: string;
  token?: string;
}
interface ClusterView {
  labels: Record<string, string>;
  registered: boolean;
  revokedAt?: string;
  condition: string;
}

describe('finding 5: an operator cannot re-register an existing or revoked cluster', () => {
  let dir: string;
  let hub: HubProcess;
  let c: ReturnType<typeof hubClients>;
  let admin: string;
  let operator: string;
  const credential: Record<string, string> = {};
  const streams: AgentStream[] = [];

  const mint = (token: string, body: Record<string, unknown>) =>
    c.api<ApiErrorBody>(token, 'POST', '/api/v1/clusters', body);
  const cluster = async (name: string) => (await c.api<ClusterView>(admin, 'GET', `/api/v1/clusters/${name}`)).body;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec05-'));
    hub = await hubProcess({ dataDir: dir });
    await hub.start();
    c = hubClients(hub, dir);
    admin = c.adminToken();
    operator = (await c.api<{ token: string }>(admin, 'POST', '/api/v1/tokens', { name: 'ops', role: 'operator' })).body
      .token;
    for (const name of ['c1', 'c2']) {
      const r = await mint(admin, { name, labels: { site: 'one' } });
      expect(r.status).toBe(201);
      credential[name] = (await c.register({ token: r.body.token!, clusterName: name })).credential;
    }
    expect((await c.api(admin, 'POST', '/api/v1/clusters/c2/revoke')).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const s of streams) s.call.cancel();
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an operator's token for a revoked cluster is refused (403, naming why and who can); it stays revoked", async () => {
    const before = await cluster('c2');
    expect(before.revokedAt).toBeDefined();
    const r = await mint(operator, { name: 'c2', labels: { site: 'two' } });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('FORBIDDEN');
    expect(r.body.token).toBeUndefined();
    expect(r.body.message).toBe(
      `token "ops" has role operator; cluster c2 was revoked at ${before.revokedAt}, and only an admin may register it again`,
    );
    expect(r.body.hint).toMatch(/admin/);
    const after = await cluster('c2');
    expect(after).toMatchObject({ revokedAt: before.revokedAt, registered: false, labels: { site: 'one' } });
  });

  it("an operator's token for an existing cluster is refused; the cluster's agent keeps its credential", async () => {
    const r = await mint(operator, { name: 'c1' });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({
      code: 'FORBIDDEN',
      message:
        'token "ops" has role operator; cluster c1 already exists, and only an admin may mint a token for it (a new credential replaces its agent\'s)',
    });
    const s = c.open(credential.c1!, 'c1');
    streams.push(s);
    await expect.poll(() => s.desired.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(s.ended).toBeUndefined();
  });

  it('an operator still registers a new cluster', async () => {
    const r = await mint(operator, { name: 'c3', labels: { site: 'one' } });
    expect(r.status).toBe(201);
    const reg = await c.register({ token: r.body.token!, clusterName: 'c3' });
    expect(reg.labels).toEqual({ site: 'one' });
  });

  it('an admin re-registers the revoked cluster: its new credential works, the old one stays refused', async () => {
    const r = await mint(admin, { name: 'c2' });
    expect(r.status).toBe(201);
    const reg = await c.register({ token: r.body.token!, clusterName: 'c2' });
    expect((await cluster('c2')).revokedAt).toBeUndefined();
    const old = c.open(credential.c2!, 'c2');
    streams.push(old);
    await expect.poll(() => old.ended?.code, { timeout: 10_000 }).toBe(grpc.status.UNAUTHENTICATED);
    const fresh = c.open(reg.credential, 'c2');
    streams.push(fresh);
    await expect.poll(() => fresh.desired.length, { timeout: 15_000 }).toBeGreaterThan(0);
  });
});
