import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { store as hubStore } from '@flotilla/hub';
import type { RepoView } from '@flotilla/proto/api';
import { hubProcess, type HubProcess } from '../../harness/hub.js';
import { startGitServer, type GitServer } from '../../harness/git-server.js';
import { waitFor } from '../../harness/wait.js';

/**
 * Finding 10 of issue #18: repository credentials reached the hub's own files and environment.
 * `auth.passwordFile` at the hub's `tls/ca.key` sent the CA private key as Basic auth to the repo's
 * URL; `tokenEnv: HOME` sent `$HOME`; a password inside the URL was shown to viewers and logged.
 * A remote that records every Authorization header it is sent stands in for the attacker's server.
 */
const GIT_PASSWORD = `gitpw-${randomBytes(12).toString('hex')}`;
const URL_PASSWORD = `urlpw-${randomBytes(12).toString('hex')}`;

interface Reply<T> {
  status: number;
  body: T;
}

describe('finding 10: repository credentials only from the secrets directory and prefixed variables', () => {
  let git: GitServer;
  let recorder: Server;
  let recorderUrl: string;
  const sentAuth: string[] = [];
  let dir: string;
  let hub: HubProcess;
  let admin: string;
  let viewer: string;
  let caKey: string;

  const api = async <T>(method: string, path: string, body?: unknown, token = admin): Promise<Reply<T>> => {
    const res = await fetch(`${hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const addRepo = (name: string, url: string, auth?: Record<string, string>) =>
    api<{ code: string; message: string }>('POST', '/api/v1/repos', {
      name,
      url,
      pollIntervalSeconds: 3600,
      ...(auth ? { auth } : {}),
    });
  /** An environment that follows the repo's main branch, then a fetch of the repo (no cluster needs it yet). */
  const addEnvironment = async (name: string, repo: string) => {
    const created = await api('POST', '/api/v1/environments', { name, repo, branch: 'main' });
    if (created.status === 201) expect((await api('POST', `/api/v1/repos/${repo}/sync`)).status).toBe(202);
    return created;
  };
  const branchOf = async (repo: string) =>
    (await api<RepoView>('GET', `/api/v1/repos/${repo}`, undefined, viewer)).body.branches.find(
      (b) => b.branch === 'main',
    );
  /** Every secret a recorded Authorization header carried, decoded from Basic auth. */
  const leakedTo = () =>
    sentAuth.map((h) => Buffer.from(h.replace(/^Basic /, ''), 'base64').toString('utf8')).join('\n');

  beforeAll(async () => {
    git = await startGitServer({ auth: { username: 'hub', password: GIT_PASSWORD } });
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
    });
    recorder = createServer((req, res) => {
      if (req.headers.authorization) sentAuth.push(req.headers.authorization);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="recorder"' }).end();
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/stolen.git`;
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec10-'));
    mkdirSync(join(dir, 'repo-secrets'), { recursive: true });
    writeFileSync(join(dir, 'repo-secrets', 'git-password'), `${GIT_PASSWORD}\n`, { mode: 0o600 });
    hub = await hubProcess({
      dataDir: dir,
      env: { FLOTILLA_LOG_LEVEL: 'trace', FLOTILLA_REPO_GIT_TOKEN: GIT_PASSWORD },
    });
    await hub.start();
    admin = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    caKey = readFileSync(join(dir, 'tls', 'ca.key'), 'utf8');
    const v = await api<{ token: string }>('POST', '/api/v1/tokens', { name: 'viewer', role: 'viewer' });
    expect(v.status).toBe(201);
    viewer = v.body.token;
  }, 90_000);

  afterAll(async () => {
    await hub?.stop();
    await git?.stop();
    await new Promise((r) => recorder?.close(r));
    if (dir && process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it("refuses auth.passwordFile at the hub's tls/ca.key (absolute or climbing), naming the secrets directory", async () => {
    for (const passwordFile of [join(dir, 'tls', 'ca.key'), '../tls/ca.key', 'sub/../../tls/ca.key']) {
      const r = await addRepo('stolen-key', recorderUrl, { username: 'x', passwordFile });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/auth\.passwordFile .*is not the name of a file in the repo secrets directory/);
      expect(r.body.message).toMatch(/--repo-secrets-dir/);
      expect(r.body.message).not.toContain(dir);
    }
    expect((await api('GET', '/api/v1/repos/stolen-key')).status).toBe(404);
  });

  it('a name in the secrets directory that is a symlink out of it is refused at once and sends nothing', async () => {
    symlinkSync(join('..', 'tls', 'ca.key'), join(dir, 'repo-secrets', 'ca-link'));
    const r = await addRepo('linked-key', recorderUrl, { username: 'x', passwordFile: 'ca-link' });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(
      /repo linked-key: auth\.passwordFile "ca-link" resolves outside the repo secrets directory/,
    );
    expect(r.body.message).not.toContain(dir);
    expect((await api('GET', '/api/v1/repos/linked-key')).status).toBe(404);
    expect(sentAuth).toEqual([]);
  });

  it('refuses tokenEnv HOME, naming the allowed prefix', async () => {
    const r = await addRepo('stolen-env', recorderUrl, { tokenEnv: 'HOME' });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/auth\.tokenEnv "HOME" does not start with FLOTILLA_REPO_/);
  });

  it('refuses a password in the URL without echoing it, and never shows nor logs it', async () => {
    const url = git.url('config').replace('http://', `http://hub:${URL_PASSWORD}@`);
    const r = await addRepo('in-url', url);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/holds credentials .*auth/);
    expect(JSON.stringify(r.body)).not.toContain(URL_PASSWORD);
    const tokenOnly = await addRepo('in-url', git.url('config').replace('http://', `http://${URL_PASSWORD}@`));
    expect(tokenOnly.status).toBe(400);
    expect(JSON.stringify((await api('GET', '/api/v1/repos', undefined, viewer)).body)).not.toContain(URL_PASSWORD);
    expect(readFileSync(join(dir, 'hub.log'), 'utf8')).not.toContain(URL_PASSWORD);
  });

  it('a real Git server with auth works with a credential from the secrets directory and a prefixed variable', async () => {
    expect((await addRepo('config', git.url('config'), { username: 'hub', passwordFile: 'git-password' })).status).toBe(
      201,
    );
    expect(
      (await addRepo('config-env', git.url('config'), { username: 'hub', tokenEnv: 'FLOTILLA_REPO_GIT_TOKEN' })).status,
    ).toBe(201);
    const head = await git.head('config', 'main');
    for (const [env, repo] of [
      ['from-file', 'config'],
      ['from-env', 'config-env'],
    ] as const) {
      expect((await addEnvironment(env, repo)).status).toBe(201);
      await waitFor(async () => (await branchOf(repo))?.commit === head, {
        what: `repo ${repo} fetched with its credential`,
        timeoutMs: 30_000,
      });
    }
    const listed = JSON.stringify((await api('GET', '/api/v1/repos', undefined, viewer)).body);
    expect(listed).toContain('"passwordFile":"git-password"');
    expect(listed).not.toContain(GIT_PASSWORD);
  });

  it('repos stored before this check do not stop the hub: each fails to fetch with a clear message, sending nothing', async () => {
    await hub.stop();
    const store = hubStore.openStore(join(dir, 'hub.db'));
    try {
      const legacy = [
        ['legacy-file', recorderUrl, { username: 'x', passwordFile: join(dir, 'tls', 'ca.key') }],
        ['legacy-env', recorderUrl, { tokenEnv: 'HOME' }],
        ['legacy-url', recorderUrl.replace('http://', `http://x:${URL_PASSWORD}@`), undefined],
      ] as const;
      for (const [name, url, auth] of legacy) {
        store.repos.put({ name, url, pollIntervalSeconds: 3600, ...(auth ? { auth } : {}) });
        store.environments.put({ name: `${name}-env`, repo: name, branch: 'main' });
      }
    } finally {
      store.close();
    }
    await hub.start();
    const errors: Record<string, string> = {};
    for (const repo of ['legacy-file', 'legacy-env', 'legacy-url']) {
      errors[repo] = await waitFor(async () => (await branchOf(repo))?.error, {
        what: `the fetch error of ${repo}`,
        timeoutMs: 30_000,
      });
    }
    expect(errors['legacy-file']).toMatch(
      /^repo legacy-file: auth\.passwordFile .*is not the name of a file in the repo secrets directory/,
    );
    expect(errors['legacy-env']).toMatch(/^repo legacy-env: auth\.tokenEnv "HOME" does not start with FLOTILLA_REPO_/);
    expect(errors['legacy-url']).toMatch(/^repo legacy-url: its URL holds credentials/);
    const shown = JSON.stringify((await api('GET', '/api/v1/repos', undefined, viewer)).body);
    expect(shown).not.toContain(URL_PASSWORD);
    for (const e of Object.values(errors)) expect(e).not.toContain(dir);
    // Nothing reached the recording remote: no CA key, no $HOME, no URL password.
    expect(sentAuth).toEqual([]);
    expect(leakedTo()).not.toContain(caKey.split('\n')[1]);
    expect(readFileSync(join(dir, 'hub.log'), 'utf8')).not.toContain(URL_PASSWORD);
  });
});
