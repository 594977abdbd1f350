import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../harness/git-server.js';

const AUTH = { username: 'flotilla', password: 'correct-horse' };
const author = { name: 'Flotilla Test', email: 'test@flotilla.invalid' };

describe('git smart-HTTP harness with isomorphic-git', () => {
  let server: GitServer;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'flotilla-clone-'));
    dirs.push(d);
    return d;
  };
  const serverHead = (branch = 'main') =>
    execFileSync('git', ['--git-dir', join(server.root, 'config.git'), 'rev-parse', branch], {
      encoding: 'utf8',
    }).trim();

  beforeAll(async () => {
    server = await startGitServer({ auth: AUTH });
    await server.createRepo('config');
    await server.commitFiles('config', { 'apps/web/configmap.yaml': 'kind: ConfigMap\n' }, { message: 'seed' });
  });

  afterAll(async () => {
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('clones, commits and pushes with the right credentials', async () => {
    const dir = tmp();
    await git.clone({ fs, http, dir, url: server.url('config'), onAuth: () => AUTH, singleBranch: true });
    expect(readFileSync(join(dir, 'apps/web/configmap.yaml'), 'utf8')).toBe('kind: ConfigMap\n');

    writeFileSync(join(dir, 'apps/web/service.yaml'), 'kind: Service\n');
    await git.add({ fs, dir, filepath: 'apps/web/service.yaml' });
    const sha = await git.commit({ fs, dir, message: 'add service', author });
    const result = await git.push({ fs, http, dir, remote: 'origin', ref: 'main', onAuth: () => AUTH });
    expect(result.ok).toBe(true);
    expect(serverHead()).toBe(sha);

    const again = tmp();
    await git.clone({ fs, http, dir: again, url: server.url('config'), onAuth: () => AUTH });
    expect(readFileSync(join(again, 'apps/web/service.yaml'), 'utf8')).toBe('kind: Service\n');
  });

  it('fetches a commit pushed by someone else', async () => {
    const dir = tmp();
    await git.clone({ fs, http, dir, url: server.url('config'), onAuth: () => AUTH });
    const pushed = await server.commitFiles('config', { 'apps/db/statefulset.yaml': 'kind: StatefulSet\n' });
    const fetched = await git.fetch({ fs, http, dir, onAuth: () => AUTH });
    expect(fetched.fetchHead).toBe(pushed);
  });

  it('refuses a wrong password for clone and push, and changes nothing', async () => {
    const wrong = { username: AUTH.username, password: 'wrong' };
    await expect(
      git.clone({ fs, http, dir: tmp(), url: server.url('config'), onAuth: () => wrong }),
    ).rejects.toMatchObject({ code: 'HttpError', data: { statusCode: 401 } });
    await expect(git.clone({ fs, http, dir: tmp(), url: server.url('config') })).rejects.toMatchObject({
      data: { statusCode: 401 },
    });

    const dir = tmp();
    await git.clone({ fs, http, dir, url: server.url('config'), onAuth: () => AUTH });
    const before = serverHead();
    writeFileSync(join(dir, 'evil.yaml'), 'kind: Secret\n');
    await git.add({ fs, dir, filepath: 'evil.yaml' });
    await git.commit({ fs, dir, message: 'should not land', author });
    await expect(git.push({ fs, http, dir, onAuth: () => wrong })).rejects.toMatchObject({
      data: { statusCode: 401 },
    });
    expect(serverHead()).toBe(before);
  });
});
