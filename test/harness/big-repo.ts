import { spawn } from 'node:child_process';

export interface ManyFilesOptions {
  /** How many files the commit holds (default 50,000). */
  files?: number;
  /** Files per directory (default 100): `apps/app-<n>/cm-<i>.yaml`. */
  perDir?: number;
  /** Extra files (path → content) in the same commit. */
  extra?: Record<string, string | Buffer>;
  message?: string;
}

/** A small ConfigMap, distinct per file so that every file is its own blob. */
export const manyFilesContent = (i: number) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  v: "${i}"\n`;

/**
 * Commits a tree of many files onto `branch` of a bare repository with `git fast-import` (one
 * process, one pack, a few seconds for 50,000 files), on top of the branch's head when it exists.
 * Returns the new commit.
 */
export async function commitManyFiles(bare: string, branch: string, o: ManyFilesOptions = {}): Promise<string> {
  const files = o.files ?? 50_000;
  const perDir = o.perDir ?? 100;
  const exists = await git(bare, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).then(
    () => true,
    () => false,
  );
  const chunks: Buffer[] = [];
  const text = (s: string) => chunks.push(Buffer.from(s));
  const data = (content: string | Buffer) => {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  };
  text(`commit refs/heads/${branch}\ncommitter Big Repo <big@flotilla.invalid> 1700000000 +0000\n`);
  data(o.message ?? `${files} files`);
  if (exists) text(`from refs/heads/${branch}^0\n`);
  for (let i = 0; i < files; i++) {
    text(`M 100644 inline apps/app-${Math.floor(i / perDir)}/cm-${i}.yaml\n`);
    data(manyFilesContent(i));
  }
  for (const [path, content] of Object.entries(o.extra ?? {})) {
    text(`M 100644 inline ${path}\n`);
    data(content);
  }
  await git(bare, ['fast-import', '--quiet'], Buffer.concat(chunks));
  return (await git(bare, ['rev-parse', `refs/heads/${branch}`])).trim();
}

function git(bare: string, args: string[], input?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', bare, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`git ${args[0]} exited with ${code}: ${err.trim()}`)),
    );
    child.stdin.on('error', () => {}); // an early exit is reported with git's own message
    child.stdin.end(input ?? '');
  });
}
