import { readdir, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, LineCounter, type Node } from 'yaml';
import { compareStrings } from '../bundle/index.js';

/**
 * What Helm and Kustomize could reach from an exported tree beyond what the plain-YAML loader checks
 * file by file: symlinks leading out of the tree, and kustomizations naming remote bases. A tree is
 * exported once per commit and never changes, so each is scanned once.
 */
export interface TreeScan {
  /** Repository-relative paths of symlinks whose target resolves outside the tree (or nowhere). */
  escapingSymlinks: string[];
  /** Kustomization entries that name something remote: `file:line: value`. */
  remoteKustomizeRefs: { file: string; line: number; value: string }[];
}

const SCANS_KEPT = 64;
const scans = new Map<string, Promise<TreeScan>>();

export function scanTree(root: string): Promise<TreeScan> {
  let s = scans.get(root);
  if (!s) {
    s = readScan(root);
    s.catch(() => scans.delete(root));
    scans.set(root, s);
    if (scans.size > SCANS_KEPT) scans.delete(scans.keys().next().value as string);
  }
  return s;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
// Fields of a kustomization whose entries are paths or URLs that kustomize loads.
const LOADED_FIELDS = ['resources', 'bases', 'components', 'crds', 'configurations'];

/** kustomize treats these as remote: a URL, an scp-like Git address, or a host name followed by a path. */
export function isRemoteReference(value: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ||
    /^[\w.-]+@[\w.-]+:/.test(value) ||
    /^(github\.com|gitlab\.com|bitbucket\.org)[/:]/i.test(value) ||
    /[?&](ref|version|submodules|timeout)=/.test(value)
  );
}

function inside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

async function readScan(root: string): Promise<TreeScan> {
  const realRoot = await realpath(root);
  const scan: TreeScan = { escapingSymlinks: [], remoteKustomizeRefs: [] };
  const walk = async (dir: string, shown: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => compareStrings(a.name, b.name));
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = shown === '' ? e.name : `${shown}/${e.name}`;
      if (e.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target === undefined || !inside(realRoot, target)) scan.escapingSymlinks.push(rel);
      } else if (e.isDirectory()) {
        await walk(path, rel);
      } else if (e.isFile() && KUSTOMIZATION_FILES.includes(e.name)) {
        scan.remoteKustomizeRefs.push(...remoteRefsIn(await readFile(path, 'utf8'), rel));
      }
    }
  };
  await walk(realRoot, '');
  return scan;
}

function remoteRefsIn(text: string, file: string): TreeScan['remoteKustomizeRefs'] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const found: TreeScan['remoteKustomizeRefs'] = [];
  if (!isMap(doc.contents)) return found;
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!LOADED_FIELDS.includes(key) || !isSeq(pair.value)) continue;
    for (const item of pair.value.items as Node[]) {
      if (!isScalar(item) || typeof item.value !== 'string' || !isRemoteReference(item.value)) continue;
      found.push({ file, line: lineCounter.linePos(item.range?.[0] ?? 0).line, value: item.value });
    }
  }
  return found;
}
