import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

let deletions = 0;

/**
 * Deletes the mirrors (`<data-dir>/repos/<repo>`) of repos no longer in the store, and what a
 * killed hub left half-deleted. A mirror is renamed before it is deleted, so a repo added again
 * under the same name starts from an empty directory. Returns the repos whose mirror went.
 */
export async function collectMirrors(dir: string, repos: ReadonlySet<string>): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const deleted: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (/\.deleting-\d+-\d+$/.test(name)) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    const repo = safeDecode(name);
    if (repo === undefined || repos.has(repo)) continue;
    const doomed = `${path}.deleting-${process.pid}-${++deletions}`;
    await rename(path, doomed);
    await rm(doomed, { recursive: true, force: true });
    deleted.push(repo);
  }
  return deleted;
}

function safeDecode(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}
