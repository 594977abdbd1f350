/** One entry of `git ls-tree -r -t -z`: a path below the exported root, with its mode, type and object. */
export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
  path: string;
}

/** Why a tree is refused: `unsafe` for a reserved name (`..`, `.git`), `invalid` for the rest. */
export interface TreeProblem {
  kind: 'unsafe' | 'invalid';
  path: string;
}

/** Parses `git ls-tree -z` output (`<mode> <type> <oid>\t<path>\0`...). */
export function parseLsTree(out: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < out.length) {
    const end = out.indexOf(0, at);
    const record = out.subarray(at, end < 0 ? out.length : end);
    at = end < 0 ? out.length : end + 1;
    const tab = record.indexOf(9);
    if (tab < 0) throw new Error(`unexpected git ls-tree output: ${JSON.stringify(record.toString('utf8'))}`);
    const [mode = '', type = '', oid = ''] = record.subarray(0, tab).toString('latin1').split(' ');
    if (type !== 'blob' && type !== 'tree' && type !== 'commit') {
      throw new Error(`unexpected git ls-tree object type ${JSON.stringify(type)}`);
    }
    entries.push({ mode, type, oid, path: record.subarray(tab + 1).toString('utf8') });
  }
  return entries;
}

/**
 * A name git itself refuses to check out (its verify_path): `.`, `..`, `.git` in any case, with
 * trailing dots or spaces, or as an NTFS short name. A `.git` directory in an exported tree would be
 * a repository (with config and hooks) for any tool that runs git there.
 */
export function isReservedName(name: string): boolean {
  const lower =
    name
      .split(':')[0]
      ?.toLowerCase()
      .replace(/[. ]+$/, '') ?? '';
  return name === '.' || name === '..' || lower === '.git' || /^\.?git~[1-9]$/.test(lower);
}

/**
 * Checks a listing before anything is written: every path segment a plain name, every entry's
 * parent a directory listed before it, no path twice. A crafted tree (git mktree accepts it) could
 * otherwise name an entry `..`, or hold a symlink and a directory of the same name so that files land
 * wherever the symlink points. The first problem in listing order is returned.
 */
export function checkTreeEntries(entries: readonly TreeEntry[]): TreeProblem | undefined {
  const dirs = new Set<string>(['']);
  const seen = new Set<string>();
  for (const e of entries) {
    const segments = e.path.split('/');
    if (segments.some(isReservedName)) return { kind: 'unsafe', path: e.path };
    const parent = segments.slice(0, -1).join('/');
    const name = segments[segments.length - 1] ?? '';
    if (name === '' || /[\\\0]/.test(name) || !dirs.has(parent) || seen.has(e.path)) {
      return { kind: 'invalid', path: e.path };
    }
    seen.add(e.path);
    if (e.type === 'tree') dirs.add(e.path);
  }
  return undefined;
}
