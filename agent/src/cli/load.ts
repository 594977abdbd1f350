import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { ManifestInvalidError, ManifestSyntaxError, parseManifests } from '@flotilla/common';
import { ManifestError } from '../errors.js';
import type { KubeObject } from '../objects.js';

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

/**
 * Reads a rendered bundle: YAML (multi-document) or JSON, read as `kubectl apply -f` and the hub read it
 * (@flotilla/common: the same YAML semantics, lists flattened); errors name file:line.
 */
export async function loadManifests(path: string): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const file of await manifestFiles(path)) {
    const shown = relative(process.cwd(), file) || file;
    let manifests;
    try {
      manifests = parseManifests(await readFile(file, 'utf8'), shown);
    } catch (err) {
      if (err instanceof ManifestSyntaxError || err instanceof ManifestInvalidError) {
        throw new ManifestError(err.message, { cause: err });
      }
      throw err;
    }
    for (const { object, source } of manifests) {
      if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string') {
        throw new ManifestError(`${shown}:${source.line}: not a Kubernetes object (needs apiVersion and kind)`);
      }
      objects.push(object as KubeObject);
    }
  }
  return objects;
}
