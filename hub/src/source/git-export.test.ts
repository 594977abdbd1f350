import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitManyFiles } from '@flotilla/test';
import { SourceNotFoundError, SourcePathError } from './errors.js';
import { BatchReader, exportWithGit, type GitExport } from './git-export.js';

const OID = 'b'.repeat(40);

/** Reads every object of a `cat-file --batch` stream fed in the given pieces. */
function readAll(pieces: Buffer[]): { oid: string; body: string; missing: boolean }[] {
  const r = new BatchReader();
  const out: { oid: string; body: string; missing: boolean }[] = [];
  let current: { oid: string; size: number; missing: boolean; body: Buffer; have: number } | undefined;
  for (const p of pieces) {
    r.push(p);
    for (;;) {
      if (!current) {
        const h = r.header();
        if (!h) break;
        if (h.missing) {
          out.push({ oid: h.oid, body: '', missing: true });
          continue;
        }
        current = { ...h, body: Buffer.alloc(h.size), have: 0 };
      }
      current.have += r.copyBody(current.body, current.have, current.size - current.have);
      if (current.have < current.size || !r.skipNewline()) break;
      out.push({ oid: current.oid, body: current.body.toString(), missing: false });
      current = undefined;
    }
  }
  return out;
}

describe('BatchReader (git cat-file --batch framing)', () => {
  const stream = Buffer.from(
    `${OID} blob 5\nhello\n${OID} blob 0\n\n${OID} missing\n${OID} blob 3\na\nb\n${OID} blob 10\nline\nline\n\n`,
  );
  const expected = [
    { oid: OID, body: 'hello', missing: false },
    { oid: OID, body: '', missing: false },
    { oid: OID, body: '', missing: true },
    { oid: OID, body: 'a\nb', missing: false },
    { oid: OID, body: 'line\nline\n', missing: false },
  ];

  it('reads objects delivered in one chunk', () => expect(readAll([stream])).toEqual(expected));

  it('reads them whatever the chunk boundaries (headers, bodies and newlines split)', () => {
    for (const size of [1, 2, 3, 7, 41, 45, 64]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) pieces.push(stream.subarray(i, i + size));
      expect(readAll(pieces)).toEqual(expected);
    }
  });

  it('hands out body bytes without copying when they sit in one chunk', () => {
    const r = new BatchReader();
    const chunk = Buffer.from(`${OID} blob 4\nabcd\n`);
    r.push(chunk);
    expect(r.header()).toEqual({ oid: OID, size: 4, missing: false });
    const body = r.body(4);
    expect(body.toString()).toBe('abcd');
    expect(body.buffer).toBe(chunk.buffer);
  });

  it('refuses a header it does not understand', () => {
    const r = new BatchReader();
    r.push(Buffer.from(`${OID} blob many\n`));
    expect(() => r.header()).toThrow(/unexpected git cat-file header/);
  });
});

describe('exportWithGit on a real repository', () => {
  let root: string;
  let gitdir: string;
  let commit: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-git-export-'));
    gitdir = join(root, 'r.git');
    execFileSync('git', ['init', '-q', '--bare', gitdir]);
    commit = await commitManyFiles(gitdir, 'main', {
      files: 20,
      perDir: 10,
      extra: { 'big.bin': Buffer.alloc(3 << 20, 7), empty: '' },
    });
    const link = execFileSync('git', ['--git-dir', gitdir, 'hash-object', '-w', '--stdin'], { input: '../etc' })
      .toString()
      .trim();
    const tree = execFileSync('git', ['--git-dir', gitdir, 'ls-tree', commit]).toString();
    const withLink = execFileSync('git', ['--git-dir', gitdir, 'mktree'], { input: `${tree}120000 blob ${link}\tln\n` })
      .toString()
      .trim();
    commit = execFileSync('git', ['--git-dir', gitdir, 'commit-tree', withLink, '-p', commit, '-m', 'link'], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    })
      .toString()
      .trim();
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const run = (o: Partial<GitExport> = {}) => {
    const dest = mkdtempSync(join(root, 'out-'));
    return exportWithGit({ git: 'git', gitdir, repo: 'r', commit, path: '', dest, ...o }).then(() => dest);
  };

  it('writes every file (small, empty, streamed), directories and symlinks as symlinks', async () => {
    const dest = await run();
    expect(readFileSync(join(dest, 'apps/app-1/cm-15.yaml'), 'utf8')).toContain('name: cm-15');
    expect(readFileSync(join(dest, 'big.bin')).equals(Buffer.alloc(3 << 20, 7))).toBe(true);
    expect(readFileSync(join(dest, 'empty'), 'utf8')).toBe('');
    expect(lstatSync(join(dest, 'ln')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dest, 'ln'))).toBe('../etc');
  });

  it('exports a path of the commit; a missing path or a commit that is not an id is not found', async () => {
    const dest = await run({ path: 'apps/app-0' });
    expect(readFileSync(join(dest, 'cm-3.yaml'), 'utf8')).toContain('name: cm-3');
    await expect(run({ path: 'apps/nope' })).rejects.toBeInstanceOf(SourceNotFoundError);
    await expect(run({ commit: '--output=/tmp/x' })).rejects.toBeInstanceOf(SourceNotFoundError);
  });

  it('refuses a tree over its limits before writing anything', async () => {
    await expect(run({ limits: { entries: 10, listingBytes: 1 << 20 } })).rejects.toThrow(
      /^repo r: commit [0-9a-f]{12} holds too many files and directories \(the limit is 10 entries/,
    );
    await expect(run({ limits: { entries: 1000, listingBytes: 100 } })).rejects.toBeInstanceOf(SourcePathError);
  });

  it('stops when its signal aborts', async () => {
    const stop = new AbortController();
    stop.abort(new Error('superseded'));
    await expect(run({ signal: stop.signal })).rejects.toThrow();
  });
});
