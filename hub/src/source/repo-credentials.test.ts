import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../secrets.js';
import {
  checkRepoAuth,
  checkRepoUrl,
  displayRepoUrl,
  MAX_SECRET_FILE_BYTES,
  resolveRepoAuth,
  type RepoCredentialPolicy,
} from './repo-credentials.js';

describe('repo credentials', () => {
  let dir: string;
  let box: SecretBox;
  let policy: RepoCredentialPolicy;
  const repo = (auth?: Record<string, string>, url = 'https://git.example.com/config.git') => ({
    name: 'r',
    url,
    ...(auth ? { auth } : {}),
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-repo-creds-'));
    box = SecretBox.loadOrCreate(join(dir, 'hub.key'));
    policy = { secretsDir: join(dir, 'repo-secrets'), envPrefix: 'FLOTILLA_REPO_' };
    mkdirSync(join(policy.secretsDir, 'github'), { recursive: true });
    writeFileSync(join(policy.secretsDir, 'token'), 'tok-from-file\n');
    writeFileSync(join(policy.secretsDir, 'github', 'token'), 'nested\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves sealed values, files of the secrets directory and prefixed variables', () => {
    const env = { FLOTILLA_REPO_GIT_TOKEN: 't' };
    expect(resolveRepoAuth(repo({ username: 'u', password: box.seal('p') }), box, policy)).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(resolveRepoAuth(repo({ tokenEnv: 'FLOTILLA_REPO_GIT_TOKEN' }), box, policy, env)).toEqual({ token: 't' });
    expect(resolveRepoAuth(repo({ tokenFile: 'token' }), box, policy)).toEqual({ token: 'tok-from-file' });
    expect(resolveRepoAuth(repo({ tokenFile: 'github/token' }), box, policy)).toEqual({ token: 'nested' });
    expect(resolveRepoAuth(repo(), box, policy)).toBeUndefined();
    expect(() => resolveRepoAuth(repo({ tokenEnv: 'FLOTILLA_REPO_NOPE' }), box, policy, {})).toThrow(
      /^repo r: environment variable FLOTILLA_REPO_NOPE \(auth.tokenEnv\) is not set/,
    );
  });

  it.each([
    ['an absolute path', { passwordFile: '/etc/passwd' }, /auth\.passwordFile is not the name of a file/],
    ['a climbing path', { passwordFile: '../hub.key' }, /auth\.passwordFile is not the name of a file/],
    ['a hidden name', { tokenFile: '.hub.key' }, /auth\.tokenFile is not the name of a file/],
    ['a variable without the prefix', { tokenEnv: 'HOME' }, /auth\.tokenEnv "HOME" does not start with FLOTILLA_REPO_/],
    ['a prefix-only lookalike', { tokenEnv: 'FLOTILLA_REPO' }, /does not start with FLOTILLA_REPO_/],
    ['two sources of one secret', { token: 'x', tokenEnv: 'FLOTILLA_REPO_X' }, /give one of token, tokenEnv/],
    ['an unknown key', { secret: 'x' }, /auth\.secret is not a credential setting/],
  ])('refuses %s', (_what, auth, message) => {
    expect(() => checkRepoAuth(auth, 'FLOTILLA_REPO_')).toThrow(message);
    expect(() => resolveRepoAuth(repo(auth), box, policy, { HOME: '/root' })).toThrow(message);
  });

  it('refuses a file whose real path leaves the secrets directory, a directory, and an oversized file', () => {
    symlinkSync(join('..', 'hub.key'), join(policy.secretsDir, 'escape'));
    symlinkSync('token', join(policy.secretsDir, 'alias'));
    writeFileSync(join(policy.secretsDir, 'big'), 'x'.repeat(MAX_SECRET_FILE_BYTES + 1));
    expect(() => resolveRepoAuth(repo({ tokenFile: 'escape' }), box, policy)).toThrow(
      /^repo r: auth\.tokenFile "escape" resolves outside the repo secrets directory/,
    );
    // A symlink that stays inside (a Kubernetes Secret volume is made of them) is fine.
    expect(resolveRepoAuth(repo({ tokenFile: 'alias' }), box, policy)).toEqual({ token: 'tok-from-file' });
    expect(() => resolveRepoAuth(repo({ tokenFile: 'github' }), box, policy)).toThrow(/is not a regular file/);
    expect(() => resolveRepoAuth(repo({ tokenFile: 'big' }), box, policy)).toThrow(/16385 bytes, over 16384/);
    expect(() => resolveRepoAuth(repo({ tokenFile: 'nope' }), box, policy)).toThrow(
      /"nope" does not exist in the repo secrets directory/,
    );
  });

  it('refuses credentials in a URL without repeating them, and masks them for display', () => {
    for (const url of ['https://u:hunter2@git.example.com/c.git', 'http://hunter2@127.0.0.1:8080/c.git']) {
      expect(() => checkRepoUrl(url)).toThrow(/its URL holds credentials/);
      expect(() => resolveRepoAuth(repo(undefined, url), box, policy)).toThrow(/^repo r: its URL holds credentials/);
      try {
        checkRepoUrl(url);
      } catch (err) {
        expect((err as Error).message).not.toContain('hunter2');
      }
      expect(displayRepoUrl(url)).not.toContain('hunter2');
    }
    expect(displayRepoUrl('https://u:p@git.example.com/c.git')).toBe('https://***@git.example.com/c.git');
    expect(() => checkRepoUrl('https://git.example.com/a@b.git')).not.toThrow();
    expect(displayRepoUrl('https://git.example.com/a@b.git')).toBe('https://git.example.com/a@b.git');
  });
});
