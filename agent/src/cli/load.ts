import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ManifestError } from '../errors.js';
import { isPlainObject, type KubeObject } from '../objects.js';

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

/** Every manifest file under a directory (sorted, recursive), or the one file given. */
async function manifestFiles(path: string): Promise<string[]> {
  let s;
  try {
    s = await stat(path);
  } catch (err) {
    throw new ManifestError(`${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!s.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await manifestFiles(full)));
    else if (MANIFEST_EXT.has(extname(entry.name))) out.push(full);
  }
  return out;
}

/** Reads a rendered bundle: YAML (multi-document) or JSON, `kind: List` flattened; errors name file:line. */
export async function loadManifests(path: string): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const file of await manifestFiles(path)) {
    const shown = relative(process.cwd(), file) || file;
    const text = await readFile(file, 'utf8');
    const lineCounter = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter })) {
      const line = lineCounter.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line;
      const problem = doc.errors[0];
      if (problem) {
        const at = problem.linePos?.[0]?.line ?? line;
        throw new ManifestError(`${shown}:${at}: ${problem.message.split('\n')[0]}`);
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      for (const o of flatten(value)) {
        if (!isPlainObject(o) || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
          throw new ManifestError(`${shown}:${line}: not a Kubernetes object (needs apiVersion and kind)`);
        }
        objects.push(o as KubeObject);
      }
    }
  }
  return objects;
}

function flatten(v: unknown): unknown[] {
  if (isPlainObject(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
    return v.items.flatMap(flatten);
  }
  return [v];
}
