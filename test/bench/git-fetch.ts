/**
 * Fetching a one-file change in a 5,000-file repository over smart HTTP: isomorphic-git (the hub's
 * GitSource: ls-refs, then fetch) against the `git` command (`git fetch` into a bare mirror).
 *
 *   npm run bench:git-fetch
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { source } from '@flotilla/hub';
import { startGitServer } from '../harness/git-server.js';

const FILES = 5000;
const ROUNDS = 5;
const root = mkdtempSync(join(tmpdir(), 'flotilla-bench-git-'));
const server = await startGitServer();
const bare = await server.createRepo('big');

// Seed 5,000 files in one commit with the git CLI.
const work = join(root, 'work');
const g = (...args: string[]) =>
  execFileSync('git', ['-C', work, '-c', 'user.name=b', '-c', 'user.email=b@b.invalid', ...args], { stdio: 'pipe' });
execFileSync('git', ['clone', '-q', bare, work], { stdio: 'pipe' });
for (let i = 0; i < FILES; i++) {
  const dir = join(work, 'apps', `app-${Math.floor(i / 50)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `cm-${i}.yaml`),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  v: "${i}"\n`,
  );
}
g('add', '-A');
g('commit', '-qm', 'seed');
g('push', '-q', 'origin', 'HEAD:main');

const iso = new source.GitSource({ name: 'big', url: server.url('big'), cacheDir: join(root, 'iso') });
const cliDir = join(root, 'cli.git');
execFileSync('git', ['init', '-q', '--bare', cliDir]);
// Asynchronous: the Git HTTP server runs in this process and must keep serving.
const run = promisify(execFile);
const cliFetch = () =>
  run('git', ['--git-dir', cliDir, 'fetch', '-q', '--prune', server.url('big'), '+refs/heads/*:refs/remotes/origin/*']);

const t = async (fn: () => unknown) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
console.log(
  `machine: ${cpus().length} cores; node ${process.version}; ${execFileSync('git', ['--version']).toString().trim()}`,
);
console.log(
  `initial clone of ${FILES} files: isomorphic-git ${(await t(() => iso.sync())).toFixed(0)} ms, git ${(await t(cliFetch)).toFixed(0)} ms`,
);

const iTimes: number[] = [];
const cTimes: number[] = [];
const noop: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  writeFileSync(
    join(work, 'apps', 'app-0', 'cm-0.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-0\ndata:\n  v: "round-${r}"\n`,
  );
  g('commit', '-qam', `round ${r}`);
  g('push', '-q', 'origin', 'HEAD:main');
  iTimes.push(await t(() => iso.sync()));
  cTimes.push(await t(cliFetch));
  noop.push(await t(() => iso.sync()));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);
console.log(`one-file change, median of ${ROUNDS}: isomorphic-git ${med(iTimes)} ms, git ${med(cTimes)} ms`);
console.log(`unchanged poll (ls-refs only), median: isomorphic-git ${med(noop)} ms`);
await server.stop();
rmSync(root, { recursive: true, force: true });
