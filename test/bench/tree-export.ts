/**
 * Exporting a 50,000-file commit from the hub's mirror (fetched by isomorphic-git over smart HTTP)
 * into a plain directory, the way renders read it: isomorphic-git (without and with its shared cache)
 * against the git command (checkout-index into a temporary index, `git archive | tar`, and the hub's
 * exporter: `ls-tree` + `cat-file --batch`, files written by the hub). Wall time, CPU of this
 * process and of its children, files written. Rounds alternate the methods, so that a machine whose
 * load changes affects each alike; the load average is printed with the figures.
 *
 *   npm run bench:tree-export [-- --files 50000 --rounds 3]
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import git from 'isomorphic-git';
import { source } from '@flotilla/hub';
import { commitManyFiles } from '../harness/big-repo.js';
import { startGitServer } from '../harness/git-server.js';

const { values } = parseArgs({ options: { files: { type: 'string' }, rounds: { type: 'string' } } });
const FILES = Number(values.files ?? 50_000);
const ROUNDS = Number(values.rounds ?? 1);
/** The old exporter is sampled on this many files: at ~30-50 files/s the whole tree takes 20+ minutes. */
const OLD_SAMPLE = 500;
const run = promisify(execFile);
const CLEAN_ENV = {
  PATH: process.env.PATH,
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  LC_ALL: 'C',
};

const root = fs.mkdtempSync(join(tmpdir(), 'flotilla-bench-tree-'));
const server = await startGitServer();
const bare = await server.createRepo('big');
let t0 = performance.now();
const commit = await commitManyFiles(bare, 'main', { files: FILES });
console.log(`generated ${FILES} files with git fast-import in ${(performance.now() - t0).toFixed(0)} ms`);
const src = new source.GitSource({ name: 'big', url: server.url('big'), cacheDir: join(root, 'mirror') });
t0 = performance.now();
await src.sync();
console.log(`mirrored by isomorphic-git (GitSource.sync) in ${(performance.now() - t0).toFixed(0)} ms`);
const gitdir = src.gitdir;

/** CPU time (ms) of the children this process has waited for: /proc/self/stat cutime + cstime. */
function childCpuMs(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

type Entries = Awaited<ReturnType<typeof git.readTree>>['tree'];
async function isoWrite(cache: object | undefined, entries: Entries, dir: string, inFlight: number, cap = Infinity) {
  let written = 0;
  await mkdir(dir, { recursive: true });
  const blobs = entries.filter((e) => e.type === 'blob').slice(0, cap);
  for (let i = 0; i < blobs.length; i += inFlight) {
    await Promise.all(
      blobs.slice(i, i + inFlight).map(async (e) => {
        const { blob } = await git.readBlob({ fs, gitdir, oid: e.oid, ...(cache ? { cache } : {}) });
        await writeFile(join(dir, e.path), blob, { flag: 'wx' });
      }),
    );
  }
  written += blobs.length;
  for (const e of entries) {
    if (e.type !== 'tree' || written >= cap) continue;
    const sub = await git.readTree({ fs, gitdir, oid: e.oid, ...(cache ? { cache } : {}) });
    written += await isoWrite(cache, sub.tree, join(dir, e.path), inFlight, cap - written);
  }
  return written;
}

const methods: Record<string, (dest: string) => Promise<unknown>> = {
  [`isomorphic-git, no cache (the exporter before), first ${OLD_SAMPLE} files`]: async (dest) => {
    const top = await git.readTree({ fs, gitdir, oid: commit });
    await isoWrite(undefined, top.tree, dest, 1, OLD_SAMPLE);
  },
  'isomorphic-git, shared cache, 1 file at a time': async (dest) => {
    const cache = {};
    await isoWrite(cache, (await git.readTree({ fs, gitdir, oid: commit, cache })).tree, dest, 1);
  },
  'isomorphic-git, shared cache, 16 files in flight': async (dest) => {
    const cache = {};
    await isoWrite(cache, (await git.readTree({ fs, gitdir, oid: commit, cache })).tree, dest, 16);
  },
  'git read-tree + checkout-index (temporary index)': async (dest) => {
    await mkdir(dest, { recursive: true });
    const env = { ...CLEAN_ENV, GIT_INDEX_FILE: `${dest}.index` };
    await run('git', ['--git-dir', gitdir, 'read-tree', commit], { env });
    await run('git', ['--git-dir', gitdir, '--work-tree', dest, 'checkout-index', '-a'], { env });
    await rm(`${dest}.index`);
  },
  'git archive, piped to tar -x': async (dest) => {
    await mkdir(dest, { recursive: true });
    await run('sh', ['-c', 'git --git-dir "$0" archive "$1" | tar -x -C "$2"', gitdir, commit, dest], {
      env: CLEAN_ENV,
    });
  },
  'hub: ls-tree + cat-file --batch, hub writes (GitSource.exportTree)': (dest) => src.exportTree(commit, '', dest),
};

const countFiles = (dir: string) =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;

console.log(
  `machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}; node ${process.version}; ` +
    `${(await run('git', ['--version'])).stdout.trim()}; isomorphic-git ${git.version()}`,
);
console.log('| method | files | wall s | CPU s (hub process) | CPU s (children) | files/s | load avg (1 min) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(methods)) {
    const dest = join(root, 'out');
    const load = loadavg()[0] ?? 0;
    const cpu0 = process.cpuUsage();
    const kids0 = childCpuMs();
    const start = performance.now();
    await fn(dest);
    const wall = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const kids = (childCpuMs() - kids0) / 1000;
    const files = countFiles(dest);
    console.log(
      `| ${name} | ${files} | ${wall.toFixed(2)} | ${((cpu.user + cpu.system) / 1e6).toFixed(2)} | ` +
        `${kids.toFixed(2)} | ${Math.round(files / wall)} | ${load.toFixed(1)} |`,
    );
    await rm(dest, { recursive: true, force: true });
  }
}
await server.stop();
fs.rmSync(root, { recursive: true, force: true });
