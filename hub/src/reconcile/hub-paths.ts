import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function withReal(path: string): string[] {
  try {
    const real = realpathSync(path);
    // Longest first: one may be a prefix of the other.
    return real === path ? [path] : [path, real].sort((a, b) => b.length - a.length);
  } catch {
    return [path];
  }
}

/**
 * Error text as users see it (render status, events, fetch errors): the hub's own paths taken out,
 * in one place, whichever tool or library wrote them. A path inside an exported tree becomes
 * repository-relative (`apps/web/missing.yaml`), any other path of the data directory
 * `<data-dir>/…`, and one of the system's temporary directory `<tmp>/…`.
 */
export function hubPathScrubber(dataDir: string, tmp: string = tmpdir()): (text: string) => string {
  const roots = withReal(dataDir.replace(/\/+$/, ''));
  const tmps = withReal(tmp.replace(/\/+$/, '')).filter((t) => t !== '');
  const trees = roots.map((r) => new RegExp(`${escape(r)}/trees/[^/\\s'"]+/[^/\\s'":]+(/|(?![^/\\s'":]))`, 'g'));
  return (text) => {
    let out = text;
    for (const t of trees) out = out.replace(t, (m) => (m.endsWith('/') ? '' : '.'));
    for (const r of roots) out = out.split(r).join('<data-dir>');
    for (const t of tmps) out = out.split(`${t}/`).join('<tmp>/');
    return out;
  };
}
