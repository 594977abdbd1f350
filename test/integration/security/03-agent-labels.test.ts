import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { store as hubStore } from '@flotilla/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { HUB_MAIN, hubProcess, NODE_TS, type HubProcess } from '../../harness/hub.js';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { waitFor } from '../../harness/wait.js';
import { hubClients, lastDeployments, type AgentStream } from './hub-agents.js';

/**
 * Finding 3: an agent chose its own labels. A cluster registered with `site=one` sent `tier=gold` in
 * its Register request, landed in the gold environment and fetched its Secret. And `flotilla-hub
 * tokens create` took any cluster name and label (`Bad Name/../../x`, 300 characters, 5,000-character
 * keys, 100 KB values). Here, against a `flotilla-hub serve` process: the labels a cluster has come
 * from the API and its token only, and the tokens command refuses what Kubernetes would.
 */
const run = promisify(execFile);
const yaml = (kind: string, name: string) =>
  kind === 'Secret'
    ? `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nstringData:\n  password: gold-only\n`
    : `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "1"\n`;

describe('finding 3: an agent does not choose its labels; the tokens command checks names and labels', () => {
  let git: GitServer;
  let dir: string;
  let hub: HubProcess;
  let c: ReturnType<typeof hubClients>;
  let admin: string;
  let operator: string;
  let goldDigest: string;
  const streams: AgentStream[] = [];

  beforeAll(async () => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/web/cm.yaml': yaml('ConfigMap', 'web'),
      'apps/vault/secret.yaml': yaml('Secret', 'vault'),
    });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec03-'));
    hub = await hubProcess({ dataDir: dir });
    await hub.start();
    c = hubClients(hub, dir);
    admin = c.adminToken();
    const ok = async (r: Promise<{ status: number }>, status: number) => expect((await r).status).toBe(status);
    operator = (await c.api<{ token: string }>(admin, 'POST', '/api/v1/tokens', { name: 'ops', role: 'operator' })).body
      .token;
    await ok(c.api(admin, 'POST', '/api/v1/repos', { name: 'config', url: git.url('config') }), 201);
    for (const [env, selector, target] of [
      ['one', 'site=one', 'web'],
      ['gold', 'tier=gold', 'vault'],
    ] as const) {
      await ok(c.api(admin, 'PUT', `/api/v1/groups/${env}`, { selector }), 200);
      await ok(
        c.api(admin, 'POST', '/api/v1/environments', { name: env, repo: 'config', branch: 'main', group: env }),
        201,
      );
      await ok(
        c.api(admin, 'POST', '/api/v1/targets', {
          name: target,
          repo: 'config',
          path: `apps/${target}`,
          environments: [env],
        }),
        201,
      );
    }
    // A cluster the admin put in the gold tier: what its Secret's bundle digest is.
    const gold = await c.api<{ token: string }>(admin, 'POST', '/api/v1/clusters', {
      name: 'vault-1',
      labels: { tier: 'gold' },
    });
    const reg = await c.register({ token: gold.body.token, clusterName: 'vault-1' });
    const s = c.open(reg.credential, 'vault-1');
    streams.push(s);
    await waitFor(() => lastDeployments(s).join() === 'gold/vault', {
      what: 'vault-1 desired gold/vault',
      timeoutMs: 30_000,
    });
    goldDigest = s.desired.filter((d) => d.deployments.length > 0).at(-1)!.deployments[0]!.digest;
  }, 120_000);

  afterAll(async () => {
    for (const s of streams) s.call.cancel();
    await hub?.stop();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('site=one registering with tier=gold keeps site=one: not in gold, and refused its Secret', async () => {
    const minted = await c.api<{ token: string }>(operator, 'POST', '/api/v1/clusters', {
      name: 'c1',
      labels: { site: 'one' },
    });
    expect(minted.status).toBe(201);
    const reg = await c.register({
      token: minted.body.token,
      clusterName: 'c1',
      labels: { tier: 'gold', site: 'two' },
    });
    expect(reg.labels).toEqual({ site: 'one' });
    const detail = await c.api<{ labels: Record<string, string>; environments: string[] }>(
      admin,
      'GET',
      '/api/v1/clusters/c1',
    );
    expect(detail.body.labels).toEqual({ site: 'one' });
    expect(detail.body.environments).toEqual(['one']);
    const s = c.open(reg.credential, 'c1');
    streams.push(s);
    await expect.poll(() => lastDeployments(s), { timeout: 30_000 }).toEqual(['one/web']);
    const fetched = await c.fetchBundle(reg.credential, goldDigest);
    expect(fetched).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: `BUNDLE_NOT_DESIRED: cluster c1 may not fetch bundle ${goldDigest}: it is not desired on that cluster`,
    });
  });

  it('a re-registration with labels in the request does not change them either', async () => {
    const minted = await c.api<{ token: string }>(admin, 'POST', '/api/v1/clusters', { name: 'c1' });
    expect(minted.status).toBe(201);
    const reg = await c.register({ token: minted.body.token, clusterName: 'c1', labels: { tier: 'gold' } });
    expect(reg.labels).toEqual({ site: 'one' });
    const detail = await c.api<{ labels: Record<string, string> }>(admin, 'GET', '/api/v1/clusters/c1');
    expect(detail.body.labels).toEqual({ site: 'one' });
  });

  it('`flotilla-hub tokens create` refuses bad names, huge keys and values, control characters; nothing is stored', async () => {
    const data = mkdtempSync(join(tmpdir(), 'flotilla-sec03-tokens-'));
    const tokens = async (...args: string[]) => {
      const r = await run(process.execPath, [...NODE_TS, HUB_MAIN, 'tokens', 'create', '--data-dir', data, ...args], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        maxBuffer: 1024 * 1024,
      }).then(
        (o) => ({ code: 0, stderr: o.stderr }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
      return r;
    };
    try {
      const cases: [string[], RegExp][] = [
        [
          ['--cluster', 'Bad Name/../../x'],
          /--cluster: "Bad Name\/\.\.\/\.\.\/x" is not a valid cluster name .*DNS-1123 label/,
        ],
        [
          ['--cluster', 'a'.repeat(300)],
          /--cluster: "a{80}…" \(300 characters\) is not a valid cluster name \(it has 300 characters, more than 63\)/,
        ],
        [
          ['--cluster', 'c9', '--label', `${'k'.repeat(5000)}=v`],
          /--label: key "k{80}…" \(5000 characters\) is not a valid label key \(its name has 5000 characters, more than 63\)/,
        ],
        [
          ['--cluster', 'c9', '--label', `big=${'v'.repeat(100 * 1024)}`],
          /--label: the value "v{80}…" \(102400 characters\) of "big" is not a valid label value \(it has 102400 characters, more than 63\)/,
        ],
        [
          ['--cluster', 'c9', '--label', 'tier=\u001b[31mgold'],
          /--label: the value "\\u001b\[31mgold" of "tier" is not a valid label value/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await tokens(...args);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(message);
        // Quoted and escaped: no control character reaches the terminal, and no 100 KB line.
        // eslint-disable-next-line no-control-regex
        expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
        expect(r.stderr.length).toBeLessThan(1000);
      }
      if (existsSync(join(data, 'hub.db'))) {
        const s = hubStore.openStore(join(data, 'hub.db'));
        try {
          expect(s.registrationTokens.list()).toEqual([]);
        } finally {
          s.close();
        }
      }
      // A good one still works.
      const good = await tokens('--cluster', 'edge-1', '--label', 'example.com/tier=gold', '--label', 'empty=');
      expect(good.code, good.stderr).toBe(0);
      expect(good.stderr).toMatch(/registration token for cluster edge-1/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);
});
