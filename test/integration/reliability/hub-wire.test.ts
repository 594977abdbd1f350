import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadFlotillaProto } from '@flotilla/proto/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubProcess, type HubProcess } from '../../harness/hub.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { waitFor } from '../../harness/wait.js';

/**
 * A flotilla-hub process under hostile callers: malformed and oversized gRPC messages from a raw
 * grpc-js client, a credential used for another cluster, a forged webhook. Each is refused on its
 * own call while two well-behaved agent streams keep being served. Then its log (at trace level) and
 * its SQLite files are searched for every secret it was given or gave out.
 */
const v1 = loadFlotillaProto().flotilla.v1;
const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const GIT_PASSWORD = secret('gitpw');
const WEBHOOK_SECRET = secret('hooksecret');
const cm = (name: string, v: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;

interface Desired {
  generation: string;
  deployments: { deployment: string; digest: string }[];
}

/** An agent's stream as a test sees it: every desired state it was sent, and how it ended. */
interface AgentStream {
  desired: Desired[];
  ended?: grpc.ServiceError;
  call: grpc.ClientDuplexStream<unknown, unknown>;
}

describe('flotilla-hub process under hostile callers (raw gRPC, webhooks) and its secrets', () => {
  let git: GitServer;
  let dir: string;
  let hub: HubProcess;
  let httpPort: number;
  let grpcAddr: string;
  let creds: grpc.ChannelCredentials;
  let admin: string;
  const secrets: Record<string, string> = { GIT_PASSWORD, WEBHOOK_SECRET };
  const credential: Record<string, string> = {};
  const streams: Record<string, AgentStream> = {};

  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const register = (token: string, clusterName: string) =>
    new Promise<{ credential: string }>((resolve, reject) =>
      new v1.Registration(grpcAddr, creds).Register({ token, clusterName }, (e, r) => (e ? reject(e) : resolve(r!))),
    );
  const open = (cluster: string, bearer: string, helloAs = cluster): AgentStream => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${bearer}`);
    const call = new v1.AgentService(grpcAddr, creds).Connect(md);
    const s: AgentStream = { desired: [], call: call as grpc.ClientDuplexStream<unknown, unknown> };
    call.on('data', (m: { desired?: Desired }) => m.desired && s.desired.push(m.desired));
    call.on('error', (e: grpc.ServiceError) => (s.ended = e));
    call.write({ hello: { clusterId: helloAs } });
    return s;
  };
  const lastDeployments = (s: AgentStream) =>
    s.desired
      .filter((d) => d.deployments.length > 0)
      .at(-1)
      ?.deployments.map((r) => r.deployment) ?? [];
  /** A raw call on a method path, sending `payload` bytes as they are (no protobuf encoding). */
  const rawUnary = (path: string, payload: Buffer, md = new grpc.Metadata()) =>
    new Promise<grpc.ServiceError | Buffer>((resolve) => {
      const client = new grpc.Client(grpcAddr, creds);
      client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        payload,
        md,
        (err, res) => {
          client.close();
          resolve(err ?? res!);
        },
      );
    });
  const rawStream = (path: string, payloads: Buffer[], md: grpc.Metadata) =>
    new Promise<grpc.ServiceError | 'ended'>((resolve) => {
      const client = new grpc.Client(grpcAddr, creds);
      const call = client.makeBidiStreamRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        md,
      );
      call.on('data', () => undefined);
      call.on('error', (e: grpc.ServiceError) => {
        client.close();
        resolve(e);
      });
      call.on('end', () => {
        client.close();
        resolve('ended');
      });
      for (const p of payloads) call.write(p);
    });
  const bearerMd = (token: string) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    return md;
  };
  const alive = () => hub.proc.exited() === undefined;

  beforeAll(async () => {
    git = await startGitServer({ auth: { username: 'hub', password: GIT_PASSWORD } });
    await git.createRepo('config');
    await git.commitFiles('config', { 'apps/web/cm.yaml': cm('web', '1'), 'apps/api/cm.yaml': cm('api', '1') });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-hub-wire-'));
    hub = await hubProcess({
      dataDir: dir,
      // Everything the hub can say: a secret must not show up at any level.
      env: { FLOTILLA_LOG_LEVEL: 'trace' },
    });
    httpPort = hub.httpPort;
    grpcAddr = `127.0.0.1:${hub.grpcPort}`;
    await hub.start();
    creds = grpc.credentials.createSsl(readFileSync(join(dir, 'tls', 'ca.crt')));
    admin = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    secrets.ADMIN_TOKEN = admin;
    const viewer = await api<{ token: string }>('POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' });
    expect(viewer.status).toBe(201);
    secrets.VIEWER_TOKEN = viewer.body.token;
    const repo = await api('POST', '/api/v1/repos', {
      name: 'config',
      url: git.url('config'),
      pollIntervalSeconds: 3600,
      auth: { username: 'hub', password: GIT_PASSWORD },
      webhookSecret: WEBHOOK_SECRET,
    });
    expect(repo.status).toBe(201);
    for (const site of ['one', 'two']) {
      expect((await api('PUT', `/api/v1/groups/${site}`, { selector: `site=${site}` })).status).toBe(200);
      expect(
        (await api('POST', '/api/v1/environments', { name: site, repo: 'config', branch: 'main', group: site })).status,
      ).toBe(201);
    }
    for (const [name, env] of [
      ['web', 'one'],
      ['api', 'two'],
    ]) {
      const t = await api('POST', '/api/v1/targets', {
        name,
        repo: 'config',
        path: `apps/${name}`,
        environments: [env],
      });
      expect(t.status).toBe(201);
    }
    for (const [cluster, site] of [
      ['c1', 'one'],
      ['c2', 'two'],
    ] as const) {
      const reg = await api<{ token: string }>('POST', '/api/v1/clusters', { name: cluster, labels: { site } });
      expect(reg.status).toBe(201);
      secrets[`REGISTRATION_TOKEN_${cluster}`] = reg.body.token;
      credential[cluster] = (await register(reg.body.token, cluster)).credential;
      secrets[`CREDENTIAL_${cluster}`] = credential[cluster];
      streams[cluster] = open(cluster, credential[cluster]);
    }
    for (const [c, want] of [
      ['c1', 'one/web'],
      ['c2', 'two/api'],
    ] as const) {
      await waitFor(() => lastDeployments(streams[c]!).join() === want, {
        what: `${c} desired ${want}`,
        timeoutMs: 30_000,
      });
    }
  }, 90_000);

  afterAll(async () => {
    for (const s of Object.values(streams)) s.call.cancel();
    await hub?.stop();
    await git?.stop();
    if (dir && process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('malformed gRPC messages are refused per call; the hub keeps serving the agents', async () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x99]);
    // The status names the method and what is wrong with the bytes.
    const refused = (method: string) => ({
      code: grpc.status.INTERNAL,
      details: expect.stringMatching(new RegExp(`^could not decode the request for ${method}: .*wire type`)),
    });
    const register = '/flotilla.v1.Registration/Register';
    expect(await rawUnary(register, garbage)).toMatchObject(refused(register));
    const md = bearerMd(credential.c1!);
    const fetch = '/flotilla.v1.AgentService/FetchBundle';
    expect(await rawUnary(fetch, garbage, md)).toMatchObject(refused(fetch));
    const connect = '/flotilla.v1.AgentService/Connect';
    expect(await rawStream(connect, [garbage], md)).toMatchObject(refused(connect));
    const unknown = await rawUnary('/flotilla.v1.AgentService/Nope', garbage);
    expect(unknown).toMatchObject({
      code: grpc.status.UNIMPLEMENTED,
      details: 'method /flotilla.v1.AgentService/Nope is not served by this hub',
    });
    expect(alive()).toBe(true);
    expect(streams.c1?.ended).toBeUndefined();
    expect(streams.c2?.ended).toBeUndefined();
  });

  it("an oversized gRPC message (5 MB, over Connect's 4 MB and Register's 8 KiB) is refused with RESOURCE_EXHAUSTED; others unaffected", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x41);
    const refused = (limit: number, path: string) => ({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: `received a message of 5242880 bytes, larger than the limit of ${limit} for ${path}`,
    });
    const register = '/flotilla.v1.Registration/Register';
    expect(await rawUnary(register, big)).toMatchObject(refused(8192, register));
    const connect = '/flotilla.v1.AgentService/Connect';
    expect(await rawStream(connect, [big], bearerMd(credential.c1!))).toMatchObject(refused(4194304, connect));
    expect(alive()).toBe(true);
    expect(streams.c1?.ended).toBeUndefined();
    expect(streams.c2?.ended).toBeUndefined();
  });

  it("a cluster's credential cannot reach another cluster's state: hello as c2, fetch c2's bundle, report c2's status", async () => {
    const c2Bundle = streams.c2!.desired.at(-1)!.deployments[0]!.digest;
    const imposter = open('c1', credential.c1!, 'c2');
    await expect.poll(() => lastDeployments(imposter), { timeout: 10_000 }).toEqual(['one/web']);
    // A status for c2's deployment, sent on c1's stream, lands on c1 (where no such deployment exists).
    imposter.call.write({
      status: { deployment: 'two/api', generation: '1', state: 'ERR_APPLIED', message: 'forged' },
    });
    const fetched = await new Promise<grpc.ServiceError | 'ok'>((resolve) => {
      const call = new v1.AgentService(grpcAddr, creds).FetchBundle({ digest: c2Bundle }, bearerMd(credential.c1!));
      call.on('data', () => undefined);
      call.on('error', (e: grpc.ServiceError) => resolve(e));
      call.on('end', () => resolve('ok'));
    });
    expect(fetched).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((fetched as grpc.ServiceError).details).toBe(
      `BUNDLE_NOT_DESIRED: cluster c1 may not fetch bundle ${c2Bundle}: it is not desired on that cluster`,
    );
    const c2 = await api<{ items: { cluster: string; target: string; state: string; message?: string }[] }>(
      'GET',
      '/api/v1/clusters/c2',
    );
    expect(JSON.stringify(c2.body)).not.toContain('forged');
    imposter.call.cancel();
    const wrong = open('c2', `flagt_${randomBytes(32).toString('base64url')}`);
    await expect.poll(() => wrong.ended?.code, { timeout: 10_000 }).toBe(grpc.status.UNAUTHENTICATED);
    expect(wrong.ended?.details).toMatch(/^CREDENTIAL_UNKNOWN: /);
  });

  it('a webhook with a bad signature is refused naming the repo, and fetches nothing; a signed one still works', async () => {
    const commit = await git.commitFiles('config', { 'apps/web/cm.yaml': cm('web', '2') });
    const fetchesBefore = git.requests.filter((r) => r.includes('upload-pack')).length;
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const send = (signature: string, timestamp?: string) =>
      fetch(`http://127.0.0.1:${httpPort}/api/v1/webhooks/config`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-flotilla-signature': signature,
          ...(timestamp ? { 'x-flotilla-timestamp': timestamp } : {}),
        },
        body,
      });
    for (const sig of [
      'sha256=00',
      `sha256=${createHmac('sha256', 'guessed-secret').update(body).digest('hex')}`,
      '',
    ]) {
      const bad = await send(sig);
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as { message: string }).message).toMatch(/repo config/);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(git.requests.filter((r) => r.includes('upload-pack')).length).toBe(fetchesBefore);
    const ts = String(Math.floor(Date.now() / 1000));
    const ok = await send(`sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${body}`).digest('hex')}`, ts);
    expect(ok.status).toBe(202);
    // The agents keep being served: c1's stream gets the new bundle of web, c2's stays as it was.
    const digest = (s: AgentStream) => s.desired.filter((x) => x.deployments.length > 0).at(-1)?.deployments[0]?.digest;
    const [c1Before, c2Before] = [digest(streams.c1!), digest(streams.c2!)];
    await expect.poll(() => digest(streams.c1!), { timeout: 20_000 }).not.toBe(c1Before);
    expect(digest(streams.c2!)).toBe(c2Before);
    expect(streams.c2?.ended).toBeUndefined();
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('never logs nor stores in clear a credential or token (trace-level log, SQLite files)', () => {
    const log = readFileSync(join(dir, 'hub.log'), 'utf8');
    expect(log.length).toBeGreaterThan(1000);
    expect(log).toMatch(/clusterRegistered/);
    const dbFiles = readdirSync(dir).filter((f) => f.startsWith('hub.db'));
    expect(dbFiles).toContain('hub.db');
    const db = dbFiles.map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n');
    const leaks = Object.entries(secrets).flatMap(([name, value]) => [
      ...(log.includes(value) ? [`${name} in hub.log`] : []),
      ...(db.includes(value) ? [`${name} in ${dbFiles.join('/')}`] : []),
    ]);
    expect(Object.keys(secrets)).toHaveLength(8);
    expect(leaks).toEqual([]);
  });
});
