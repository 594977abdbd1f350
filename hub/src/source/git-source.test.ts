import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGitServer, type GitServer } from '@flotilla/test';
import { SourceAuthError, SourceNotFoundError, SourcePathError, SourceUnreachableError } from './errors.js';
import { GitSource, safeRepoPath } from './git-source.js';

const AUTH = { username: 'hub', password: 'pw-1' };

describe('GitSource over real smart HTTP', () => {
  let server: GitServer;
  let cache: string;
  const bare = (...args: string[]) =>
    execFileSync('git', ['--git-dir', join(server.root, 'config.git'), ...args], { encoding: 'utf8' }).trim();
  const source = (over: Partial<ConstructorParameters<typeof GitSource>[0]> = {}) =>
    new GitSource({ name: 'config', url: server.url('config'), cacheDir: cache, auth: AUTH, ...over });

  beforeAll(async () => {
    server = await startGitServer({ auth: AUTH });
    cache = mkdtempSync(join(tmpdir(), 'flotilla-source-'));
    await server.createRepo('config');
    await server.commitFiles('config', { 'apps/web/cm.yaml': 'kind: ConfigMap\n', 'README.md': 'hi\n' });
    await server.commitFiles('config', { 'apps/web/svc.yaml': 'kind: Service\n' }, { branch: 'staging' });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(cache, { recursive: true, force: true });
  });

  it('mirrors every branch, then reports only what moved', async () => {
    const src = source();
    const first = await src.sync();
    expect([...first.heads.keys()].sort()).toEqual(['main', 'staging']);
    expect(first.changed.map((c) => c.branch).sort()).toEqual(['main', 'staging']);
    expect(first.heads.get('main')).toBe(bare('rev-parse', 'main'));

    const again = await src.sync();
    expect(again.changed).toEqual([]);

    const next = await server.commitFiles('config', { 'apps/web/cm.yaml': 'kind: ConfigMap # v2\n' });
    const moved = await src.sync();
    expect(moved.changed).toEqual([{ branch: 'main', from: first.heads.get('main'), to: next, forced: false }]);
  });

  it('flags a force-push and a deleted branch, keeping the last known commit', async () => {
    const src = source();
    const before = await src.sync();
    const parent = bare('rev-parse', 'main~1');
    bare('update-ref', 'refs/heads/main', parent);
    bare('branch', '-D', 'staging');
    const after = await src.sync();
    expect(after.changed).toEqual([{ branch: 'main', from: before.heads.get('main'), to: parent, forced: true }]);
    expect(after.deleted).toEqual([{ branch: 'staging', last: before.heads.get('staging') }]);
    expect(after.heads.has('staging')).toBe(false);
  });

  it('exports the tree of a path at a commit, once', async () => {
    const src = source();
    const { heads } = await src.sync();
    const commit = heads.get('main') ?? '';
    const dest = join(cache, 'trees', commit, 'web');
    await src.exportTree(commit, 'apps/web/', dest);
    expect(readFileSync(join(dest, 'cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(() => lstatSync(join(dest, 'README.md'))).toThrow();
    await expect(src.exportTree(commit, 'apps/nope', join(cache, 'nope'))).rejects.toBeInstanceOf(SourceNotFoundError);
    await expect(src.exportTree(commit, '../etc', join(cache, 'x'))).rejects.toBeInstanceOf(SourcePathError);
  });

  it('writes symlinks as symlinks, for the loader to judge', async () => {
    const link = await server.commitFiles('config', {}, { message: 'no-op' });
    void link;
    const work = mkdtempSync(join(tmpdir(), 'flotilla-symlink-'));
    const g = (...a: string[]) =>
      execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...a], {
        encoding: 'utf8',
      });
    execFileSync('git', ['clone', '-q', join(server.root, 'config.git'), work]);
    execFileSync('ln', ['-s', '/etc/passwd', join(work, 'apps/web/evil.yaml')]);
    g('add', '-A');
    g('commit', '-qm', 'symlink');
    g('push', '-q', 'origin', 'HEAD:main');
    rmSync(work, { recursive: true, force: true });

    const src = source();
    const { heads } = await src.sync();
    const dest = join(cache, 'trees', heads.get('main') ?? '', 'web-links');
    await src.exportTree(heads.get('main') ?? '', 'apps/web', dest);
    expect(lstatSync(join(dest, 'evil.yaml')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dest, 'evil.yaml'))).toBe('/etc/passwd');
  });

  it('stops a fetch that is no longer needed, fetching nothing', async () => {
    const src = source({ cacheDir: join(cache, 'stopped') });
    const stop = new AbortController();
    stop.abort(new Error('the repo was removed'));
    await expect(src.sync({ signal: stop.signal })).rejects.toThrow('the repo was removed');
    expect((await src.heads()).size).toBe(0);
  });

  it('names the repo and the cause when credentials are wrong or the remote is dead', async () => {
    const wrong = source({ cacheDir: join(cache, 'wrong'), auth: { username: 'hub', password: 'nope' } });
    await expect(wrong.sync()).rejects.toBeInstanceOf(SourceAuthError);
    await expect(wrong.sync()).rejects.toThrow(/repo config .*refused the credentials \(HTTP 401\)/);

    const token = source({ cacheDir: join(cache, 'token'), auth: { username: 'hub', token: 'pw-1' } });
    expect((await token.sync()).heads.has('main')).toBe(true);

    const dead = source({ cacheDir: join(cache, 'dead'), url: `http://127.0.0.1:${await freePort()}/config.git` });
    await expect(dead.sync()).rejects.toBeInstanceOf(SourceUnreachableError);

    const missing = source({ cacheDir: join(cache, 'missing'), url: server.url('nope') });
    await expect(missing.sync()).rejects.toBeInstanceOf(SourceNotFoundError);
  });
});

describe('safeRepoPath', () => {
  it.each([
    ['apps/web', 'apps/web'],
    ['./apps/web/', 'apps/web'],
    ['', ''],
    ['.', ''],
    ['apps//web', 'apps/web'],
  ])('%j → %j', (input, out) => expect(safeRepoPath(input, 'r')).toBe(out));

  it.each(['../x', 'apps/../../x', '/etc', '..'])('refuses %j', (p) => {
    expect(() => safeRepoPath(p, 'r')).toThrow(SourcePathError);
  });
});

describe('GitSource after a fetch killed half-way', () => {
  it('drops a ref whose commit is missing and fetches it again', async () => {
    const server = await startGitServer();
    const cache = mkdtempSync(join(tmpdir(), 'flotilla-source-broken-'));
    try {
      await server.createRepo('r');
      const c1 = await server.commitFiles('r', { 'a.yaml': 'kind: A\n' });
      const src = new GitSource({ name: 'r', url: server.url('r'), cacheDir: cache });
      await src.sync();
      const c2 = await server.commitFiles('r', { 'a.yaml': 'kind: B\n' });
      // What a kill -9 between isomorphic-git's ref update and its pack write leaves behind.
      execFileSync('git', ['--git-dir', src.gitdir, 'update-ref', 'refs/remotes/origin/main', c1]);
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(src.gitdir, 'refs/remotes/origin/main'), `${c2}\n`);
      const r = await src.sync();
      expect(r.heads.get('main')).toBe(c2);
      const dest = join(cache, 'tree');
      await src.exportTree(c2, '', dest);
      expect(readFileSync(join(dest, 'a.yaml'), 'utf8')).toBe('kind: B\n');
    } finally {
      await server.stop();
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
