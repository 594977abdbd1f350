// The hub's HTTP API and webhooks over TLS (issue 28): a hub process, the `fleet` binary as users run
// it, real Git over HTTP for the webhook's repo. Needs the build (npx tsc -b) for the CLI.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as tlsFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet, userEnv } from '../harness/fleet-cli.js';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { HUB_MAIN, NODE_TS, hubProcess, type HubProcess } from '../harness/hub.js';
import { REPO_ROOT } from '../harness/kube/binaries.js';

const fleet = (args: string[], env: NodeJS.ProcessEnv, stdin?: string) =>
  runFleet(args, { env, ...(stdin !== undefined ? { stdin } : {}) });

describe('the API over HTTPS (a hub on loopback with --http-tls)', () => {
  let dir: string;
  let hub: HubProcess;
  let git: GitServer;
  let admin: string;
  let trusting: Agent;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'cli/dist/commands')))
      throw new Error('the CLI is not built: run `npx tsc -b` first');
    dir = mkdtempSync(join(tmpdir(), 'flotilla-api-tls-'));
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
    });
    hub = await hubProcess({ dataDir: join(dir, 'hub'), args: ['--http-tls'], https: true });
    await hub.start();
    admin = readFileSync(join(dir, 'hub', 'admin.token'), 'utf8').trim();
    trusting = new Agent({ connect: { ca: readFileSync(hub.caFile, 'utf8') } });
  });

  afterAll(async () => {
    await trusting?.close();
    await hub?.stop();
    await git?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    tlsFetch(`${hub.url}${path}`, { ...init, dispatcher: trusting });

  it('answers a token sent over HTTPS', async () => {
    const res = await api('/api/v1/whoami', { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'bootstrap-admin', role: 'admin' });
  });

  it('refuses plain HTTP on its port, saying to use https', async () => {
    const res = await fetch(`http://127.0.0.1:${hub.httpPort}/api/v1/whoami`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 'HTTPS_REQUIRED',
      message: `this hub serves its API over HTTPS only: use https://127.0.0.1:${hub.httpPort}/api/v1/whoami`,
    });
  });

  it('fleet login refuses a hub it cannot verify and a wrong pin, and accepts the right pin or CA file', async () => {
    const home = join(dir, 'user');
    const env = userEnv(home);
    const unknown = await fleet(['login', '--hub', hub.url, '--token-stdin'], env, admin);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/presented a certificate this CLI does not trust/);
    expect(unknown.stderr).toMatch(/Hint: give the hub's CA: `fleet login --ca-file/);
    expect(existsSync(join(home, 'fleet.json'))).toBe(false);

    const wrong = `sha256:${'0'.repeat(64)}`;
    const pinned = await fleet(['login', '--hub', hub.url, '--ca-hash', wrong, '--token-stdin'], env, admin);
    expect(pinned.code).toBe(1);
    expect(pinned.stderr).toMatch(/is not the one pinned: it presented no CA matching sha256:0{64}/);
    expect(existsSync(join(home, 'fleet.json'))).toBe(false);

    const pin = execFileSync(process.execPath, [...NODE_TS, HUB_MAIN, 'ca', 'hash', '--data-dir', join(dir, 'hub')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    expect(readFileSync(join(dir, 'hub', 'hub.log'), 'utf8')).toContain(`"caPin":"${pin}"`);
    const right = await fleet(['login', '--hub', hub.url, '--ca-hash', pin, '--token-stdin', '-o', 'json'], env, admin);
    expect(right.stderr).toBe('');
    expect(JSON.parse(right.stdout)).toMatchObject({ hubUrl: hub.url, role: 'admin' });
    // The CA is saved with the login: later commands trust it with no flag.
    const saved = JSON.parse(readFileSync(join(home, 'fleet.json'), 'utf8')) as { caCertificate?: string };
    expect(saved.caCertificate).toBe(readFileSync(hub.caFile, 'utf8'));
    const list = await fleet(['clusters', 'list', '-o', 'json'], env);
    expect(list.code).toBe(0);

    const byFile = await fleet(
      ['login', '--hub', hub.url, '--ca-file', hub.caFile, '--token-stdin'],
      userEnv(join(dir, 'u2')),
      admin,
    );
    expect(byFile.code).toBe(0);
  });

  it('accepts a signed webhook over HTTPS and fetches', async () => {
    const secret = 'hook-secret-of-16-or-more';
    const created = await api('/api/v1/repos', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'config',
        url: git.url('config'),
        webhookSecret: secret,
        pollIntervalSeconds: 3600,
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const before = git.requests.length;
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const res = await api('/api/v1/webhooks/config', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': `delivery-${Date.now()}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
    });
    expect(res.status).toBe(202);
    await expect.poll(() => git.requests.length, { timeout: 10_000 }).toBeGreaterThan(before);
  });
});

describe('off loopback (bound to 0.0.0.0)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-api-tls-off-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS by default, and refuses plain HTTP', async () => {
    const hub = await hubProcess({ dataDir: join(dir, 'tls'), https: true });
    await hub.start(['--http', `0.0.0.0:${hub.httpPort}`]);
    try {
      const plain = await fetch(`http://127.0.0.1:${hub.httpPort}/readyz`);
      expect(plain.status).toBe(400);
      expect(((await plain.json()) as { code: string }).code).toBe('HTTPS_REQUIRED');
      const agent = new Agent({ connect: { ca: readFileSync(hub.caFile, 'utf8') } });
      expect((await tlsFetch(`${hub.url}/readyz`, { dispatcher: agent })).status).toBe(200);
      await agent.close();
    } finally {
      await hub.stop();
    }
  });

  it('serves plain HTTP only with --insecure-http, and warns', async () => {
    const hub = await hubProcess({ dataDir: join(dir, 'plain') });
    await hub.start(['--http', `0.0.0.0:${hub.httpPort}`, '--insecure-http']);
    try {
      expect((await fetch(`http://127.0.0.1:${hub.httpPort}/readyz`)).status).toBe(200);
      const log = readFileSync(join(dir, 'plain', 'hub.log'), 'utf8');
      expect(log).toMatch(
        /"risk":"API tokens and webhook secrets cross the network in clear text \(--insecure-http\)".*"msg":"httpPlaintext"/,
      );
    } finally {
      await hub.stop();
    }
  });

  it('the CLI refuses to send a token over plain HTTP to a hub off loopback, before dialling it', async () => {
    const env = userEnv(join(dir, 'user'), {
      FLOTILLA_HUB_URL: 'http://hub.example.invalid:8080',
      FLOTILLA_TOKEN: 'flapi_x',
    });
    const r = await fleet(['clusters', 'list'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to send an API token over plain HTTP to hub\.example\.invalid:8080/);
    expect(r.stderr).toMatch(/Hint: use https:\/\/hub\.example\.invalid:8080/);
    const login = await fleet(['login', '--hub', 'http://hub.example.invalid:8080', '--token-stdin'], env, 'flapi_x');
    expect(login.code).toBe(2);
  });
});
