import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent, TargetView } from '@flotilla/proto/api';
import { hubProcess, type HubProcess } from '../../harness/hub.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { waitFor } from '../../harness/wait.js';

/**
 * Finding 12 of issue #18 (its auth-hygiene items): 2,387 wrong tokens a second were all silent 401s,
 * webhook deliveries could be replayed, render errors showed the hub's absolute paths, and at log
 * level trace a 431 header-overflow entry's `rawPacket` held the bearer token. One hub process at
 * log level trace, with /metrics behind a token and a failed-auth limit of 5 per 15 s per address.
 */
const WEBHOOK_SECRET = `hook-${randomBytes(12).toString('hex')}`;
const WINDOW_SECONDS = 15;

describe('finding 12: failed-auth throttling, webhook replays, /metrics auth, no hub paths, no secret in trace logs', () => {
  let git: GitServer;
  let dir: string;
  let hub: HubProcess;
  let admin: string;
  let viewer: string;

  const call = async <T>(method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${hub.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const hook = (headers: Record<string, string>, body: string) =>
    fetch(`${hub.url}/api/v1/webhooks/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const fetches = () => git.requests.filter((r) => r.endsWith('/info/refs')).length;
  const sign = (payload: string) => createHmac('sha256', WEBHOOK_SECRET).update(payload).digest('hex');
  /** The hub's log, with every Buffer pino wrote as a JSON byte array decoded too (a rawPacket is one). */
  const logText = () => {
    const log = readFileSync(join(dir, 'hub.log'), 'utf8');
    const buffers = [...log.matchAll(/"type":"Buffer","data":\[([\d,]*)\]/g)].map((m) =>
      Buffer.from((m[1] ?? '').split(',').map(Number)).toString('latin1'),
    );
    return [log, ...buffers].join('\n');
  };

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
      'apps/broken/kustomization.yaml': 'resources:\n- missing.yaml\n',
    });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec12-'));
    hub = await hubProcess({
      dataDir: dir,
      env: {
        FLOTILLA_LOG_LEVEL: 'trace',
        FLOTILLA_METRICS_AUTH: 'token',
        FLOTILLA_AUTH_FAILURE_LIMIT: `5/${WINDOW_SECONDS}s`,
      },
    });
    await hub.start();
    admin = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    viewer = (await call<{ token: string }>('POST', '/api/v1/tokens', admin, { name: 'viewer', role: 'viewer' })).body
      .token;
    const setup: [string, unknown][] = [
      [
        '/api/v1/repos',
        { name: 'config', url: git.url('config'), pollIntervalSeconds: 3600, webhookSecret: WEBHOOK_SECRET },
      ],
      ['/api/v1/clusters', { name: 'c1', labels: { site: 'one' } }],
      ['/api/v1/environments', { name: 'prod', repo: 'config', branch: 'main', selector: 'site=one' }],
      ['/api/v1/targets', { name: 'broken', repo: 'config', path: 'apps/broken', environments: ['prod'] }],
    ];
    for (const [path, body] of setup) expect((await call('POST', path, admin, body)).status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await hub?.stop();
    await git?.stop();
    if (dir && process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('a burst of wrong tokens gets 429 with Retry-After, one AuthFailed event with the count; a valid token keeps working', async () => {
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const r = await call<{ code: string; message: string }>('GET', '/api/v1/whoami', `flapi_${randomUUID()}`);
      statuses.push(r.status);
      if (r.status === 429) {
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(r.body.code).toBe('TOO_MANY_AUTH_FAILURES');
        expect(r.body.message).toMatch(/too many failed logins from 127\.0\.0\.1/);
      }
    }
    expect(Date.now() - started).toBeLessThan(WINDOW_SECONDS * 1000);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const refused = statuses.filter((s) => s === 429).length;
    expect(refused).toBeGreaterThanOrEqual(20);
    // Throttling refuses guesses, not people: a valid token from the same address is served.
    expect((await call('GET', '/api/v1/whoami', admin)).status).toBe(200);
    const events = await waitFor(
      async () => {
        const r = await call<{ items: FleetEvent[] }>('GET', '/api/v1/events?kind=AuthFailed', admin);
        return r.status === 200 && r.body.items.length > 0 && r.body.items;
      },
      { what: 'the AuthFailed event', timeoutMs: (WINDOW_SECONDS + 20) * 1000, intervalMs: 500 },
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ address: '127.0.0.1', failures: 30, refused });
  }, 90_000);

  it('/metrics needs a viewer token when --metrics-auth token', async () => {
    const anonymous = await fetch(`${hub.url}/metrics`);
    expect(anonymous.status).toBe(401);
    const viewed = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(viewed.status).toBe(200);
    expect(await viewed.text()).toMatch(/^flotilla_/m);
  });

  it('a replayed GitHub delivery (same id, or the same signed body under a new id) is answered without a second fetch', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: await git.head('config', 'main') });
    const delivery = randomUUID();
    const github = (id: string) => ({
      'x-github-event': 'push',
      'x-github-delivery': id,
      'x-hub-signature-256': `sha256=${sign(body)}`,
    });
    const before = fetches();
    const first = await hook(github(delivery), body);
    expect(first).toMatchObject({ status: 202, body: { accepted: true, triggered: true } });
    await waitFor(() => fetches() > before, { what: 'the fetch of the first delivery', timeoutMs: 20_000 });
    const after = fetches();
    for (const id of [delivery, randomUUID()]) {
      const replay = await hook(github(id), body);
      expect(replay).toMatchObject({ status: 200, body: { accepted: false, duplicate: true } });
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(fetches()).toBe(after);
  });

  it('a generic webhook needs a signed timestamp within 5 minutes, and is accepted once', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const generic = (ts: number, signed = `${ts}.${body}`) => ({
      'x-flotilla-timestamp': String(ts),
      'x-flotilla-signature': `sha256=${sign(signed)}`,
    });
    const now = Math.floor(Date.now() / 1000);
    const stale = await hook(generic(now - 600), body);
    expect(stale.status).toBe(401);
    expect(stale.body.message).toMatch(/X-Flotilla-Timestamp \d+ is 60\d s away from the hub's clock/);
    const bodyOnly = await hook({ 'x-flotilla-signature': `sha256=${sign(body)}` }, body);
    expect(bodyOnly.status).toBe(401);
    expect(bodyOnly.body.message).toMatch(/no X-Flotilla-Timestamp header/);
    const moved = await hook(generic(now, `${now - 1}.${body}`), body);
    expect(moved.status).toBe(401);
    const fresh = generic(now);
    expect(await hook(fresh, body)).toMatchObject({ status: 202, body: { accepted: true } });
    expect(await hook(fresh, body)).toMatchObject({ status: 200, body: { accepted: false, duplicate: true } });
  });

  it("a render error names the file in the repository, not the hub's data directory", async () => {
    const failed = await waitFor(
      async () => {
        const t = await call<TargetView>('GET', '/api/v1/targets/broken', viewer);
        return t.body.renders.find((r) => r.state === 'Failed')?.error;
      },
      { what: 'the render error of target broken', timeoutMs: 30_000 },
    );
    expect(failed).toContain('apps/broken/missing.yaml');
    const events = await call<{ items: FleetEvent[] }>('GET', '/api/v1/events?kind=RenderFailed', viewer);
    const shown = [failed, ...events.body.items.map((e) => JSON.stringify(e.payload))];
    expect(shown.length).toBeGreaterThan(1);
    for (const text of shown) {
      expect(text).not.toContain(dir);
      expect(text).not.toContain(realpathSync(dir));
    }
  });

  it('a 431 header overflow at log level trace does not log the bearer token', async () => {
    // Just over Node's 16 KiB header limit, in one write: the hub reads it all before it answers 431
    // and closes. With more unread bytes its close is a reset, which can also discard the 431 on the
    // way back (seen once in CI as ECONNRESET): what matters here is the log, checked below either way.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(hub.httpPort, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('close', () => resolve(got));
      socket.on('error', (err: NodeJS.ErrnoException) =>
        err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(got) : reject(err),
      );
      socket.write(
        `GET /api/v1/whoami HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${admin}\r\n` +
          `X-Padding: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      );
    });
    if (reply !== '') expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    await waitFor(() => /HPE_HEADER_OVERFLOW/.test(readFileSync(join(dir, 'hub.log'), 'utf8')), {
      what: 'the header overflow in the log',
      timeoutMs: 10_000,
    });
    const log = logText();
    expect(log).not.toContain(admin);
    expect(log).not.toContain(admin.slice('flapi_'.length, 30));
    expect(log).not.toContain(viewer);
    expect(log).not.toContain(WEBHOOK_SECRET);
  });
});
