import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GitAuth {
  username: string;
  password: string;
}

export interface GitServerOptions {
  /** When set, every request needs these basic-auth credentials. */
  auth?: GitAuth;
  /** Directory holding the bare repositories; a temporary one by default (removed on stop). */
  root?: string;
  gitHttpBackend?: string;
}

export interface GitServer {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  root: string;
  /** The clone URL of a repository: `${baseUrl}/${name}.git`. */
  url(name: string): string;
  /** Creates an empty bare repository whose default branch is `main`. */
  createRepo(name: string): Promise<string>;
  /** Commits files (path → content) on a branch of a repository with the git CLI; returns the commit. */
  commitFiles(
    name: string,
    files: Record<string, string>,
    opts?: { branch?: string; message?: string },
  ): Promise<string>;
  /** Creates `branch` at `from` (a branch or commit) in the bare repository; returns its commit. */
  createBranch(name: string, branch: string, from?: string): Promise<string>;
  /** The commit a branch points at. */
  head(name: string, branch: string): Promise<string>;
  /** A file's content at a branch or commit; undefined when it does not exist there. */
  readFile(name: string, ref: string, path: string): Promise<string | undefined>;
  /** Parents of a commit (two for a merge). */
  parents(name: string, commit: string): Promise<string[]>;
  /** Requests served so far, as "METHOD path" (for tests asserting what was fetched). */
  requests: string[];
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const REPO_NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function checkName(name: string): void {
  if (!REPO_NAME.test(name) || name.split('/').includes('..')) {
    throw new Error(`repository name "${name}" is invalid: use letters, digits, '.', '_', '-' and '/'`);
  }
}

function authorized(req: IncomingMessage, auth: GitAuth | undefined): boolean {
  if (!auth) return true;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
  return user === auth.username && rest.join(':') === auth.password;
}

/** Serves bare repositories over Git's smart HTTP protocol through `git http-backend`. */
export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const ownRoot = opts.root === undefined;
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'flotilla-git-'));
  const backend = opts.gitHttpBackend ?? '/usr/lib/git-core/git-http-backend';
  const requests: string[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    if (!authorized(req, opts.auth)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="flotilla-test-git"' }).end('authentication required\n');
      return;
    }
    const cgi = spawn(backend, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: normalize(decodeURIComponent(url.pathname)),
        REQUEST_METHOD: req.method ?? 'GET',
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_USER: opts.auth?.username ?? 'anonymous',
        REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
        // Anonymous pushes are refused by git unless allowed; this server is for tests only.
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.receivepack',
        GIT_CONFIG_VALUE_0: 'true',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    let stderr = '';
    cgi.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const key = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        if (key === 'status') status = Number.parseInt(value, 10);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', (code) => {
      if (!headersDone) {
        res.writeHead(500).end(`git http-backend exited with ${code}: ${stderr}`);
        return;
      }
      res.end();
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const git: GitServer = {
    baseUrl,
    root,
    requests,
    url: (name) => `${baseUrl}/${name}.git`,
    async createRepo(name) {
      checkName(name);
      const path = join(root, `${name}.git`);
      mkdirSync(dirname(path), { recursive: true });
      await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', path]);
      return path;
    },
    async createBranch(name, branch, from = 'main') {
      checkName(name);
      const gitdir = join(root, `${name}.git`);
      await run('git', ['-C', gitdir, 'branch', branch, from]);
      return (await run('git', ['-C', gitdir, 'rev-parse', `refs/heads/${branch}`])).stdout.trim();
    },
    async head(name, branch) {
      checkName(name);
      return (await run('git', ['-C', join(root, `${name}.git`), 'rev-parse', `refs/heads/${branch}`])).stdout.trim();
    },
    async readFile(name, ref, path) {
      checkName(name);
      try {
        return (await run('git', ['-C', join(root, `${name}.git`), 'show', `${ref}:${path}`])).stdout;
      } catch {
        return undefined;
      }
    },
    async parents(name, commit) {
      checkName(name);
      const out = (await run('git', ['-C', join(root, `${name}.git`), 'rev-list', '--parents', '-n', '1', commit]))
        .stdout;
      return out.trim().split(/\s+/).slice(1);
    },
    async commitFiles(name, files, o = {}) {
      checkName(name);
      const branch = o.branch ?? 'main';
      const work = mkdtempSync(join(tmpdir(), 'flotilla-git-work-'));
      const g = (...args: string[]) =>
        run('git', ['-C', work, '-c', 'user.name=Flotilla Test', '-c', 'user.email=test@flotilla.invalid', ...args]);
      try {
        await run('git', ['clone', '--quiet', join(root, `${name}.git`), work]);
        const { stdout } = await g('ls-remote', '--heads', 'origin', branch);
        if (stdout.trim()) await g('checkout', '--quiet', branch);
        else await g('checkout', '--quiet', '--orphan', branch);
        for (const [path, content] of Object.entries(files)) {
          const target = join(work, normalize(path));
          if (!target.startsWith(work + '/')) throw new Error(`file path "${path}" leaves the repository`);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, content);
        }
        await g('add', '--all');
        await g('commit', '--quiet', '--allow-empty', '-m', o.message ?? 'test commit');
        await g('push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
        return (await g('rev-parse', 'HEAD')).stdout.trim();
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownRoot) rmSync(root, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]() {
      return git.stop();
    },
  };
  return git;
}
