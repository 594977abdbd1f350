import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubPathScrubber } from './hub-paths.js';

describe('hubPathScrubber', () => {
  const scrub = hubPathScrubber('/var/lib/flotilla', '/tmp');
  const tree = '/var/lib/flotilla/trees/config/0123456789abcdef0123456789abcdef01234567';

  it.each([
    [
      `Error: evalsymlink failure on '${tree}/apps/broken/missing.yaml' : lstat ${tree}/apps/broken/missing.yaml: no such file`,
      "Error: evalsymlink failure on 'apps/broken/missing.yaml' : lstat apps/broken/missing.yaml: no such file",
    ],
    [`repository root "${tree}" does not exist`, 'repository root "." does not exist'],
    [`${tree}.partial-42/apps/x.yaml: bad`, 'apps/x.yaml: bad'],
    [
      "ENOENT: no such file or directory, open '/var/lib/flotilla/repos/config/mirror.git/HEAD'",
      "ENOENT: no such file or directory, open '<data-dir>/repos/config/mirror.git/HEAD'",
    ],
    ['open /tmp/flotilla-helm-x1/values-0.yaml: denied', 'open <tmp>/flotilla-helm-x1/values-0.yaml: denied'],
    ['apps/web/cm.yaml:3:1: bad indentation', 'apps/web/cm.yaml:3:1: bad indentation'],
  ])('%s', (input, output) => {
    expect(scrub(input)).toBe(output);
  });

  it('also takes out the real path of a data directory reached through a symlink', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-paths-'));
    try {
      symlinkSync(dir, `${dir}-link`);
      const s = hubPathScrubber(`${dir}-link`, '/nonexistent-tmp');
      expect(s(`${dir}/hub.key and ${dir}-link/tls/ca.key`)).toBe('<data-dir>/hub.key and <data-dir>/tls/ca.key');
    } finally {
      rmSync(`${dir}-link`, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
