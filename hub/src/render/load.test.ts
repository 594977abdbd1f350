import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileTooLargeError,
  PathInvalidError,
  PathNotFoundError,
  SymlinkEscapeError,
  SymlinkLoopError,
  UnsupportedLayoutError,
  YamlSyntaxError,
} from './errors.js';
import { loadManifests } from './load.js';

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

let base: string;
let root: string;
let outside: string;

async function write(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

async function names(relPath: string, options = {}) {
  const objects = await loadManifests(root, relPath, options);
  return objects.map(
    ({ object, source }) => `${source?.file}:${source?.line} ${(object.metadata as { name: string }).name}`,
  );
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'flotilla-load-'));
  root = join(base, 'repo');
  outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.yaml'), cm('stolen'));
  await write('apps/web/b.yaml', `${cm('b1')}---\n${cm('b2')}`);
  await write('apps/web/a.yml', cm('a'));
  await write('apps/web/sub/c.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }));
  await write(
    'apps/web/sub/list.yaml',
    `apiVersion: v1\nkind: List\nitems:\n- ${cm('l1').trimEnd().replaceAll('\n', '\n  ')}\n`,
  );
  await write('apps/web/fleet.yaml', 'namespace: web\n');
  await write('apps/web/.hidden.yaml', cm('hidden'));
  await write('apps/web/.git/config.yaml', cm('git'));
  await write('apps/web/README.md', '# not a manifest\n');
  await write('apps/web/overlays/eu/a.yml', cm('eu'));
  await write('apps/broken/ok.yaml', cm('ok'));
  await write('apps/broken/z.yaml', `${cm('fine')}---\nkind: ConfigMap\nmetadata:\n  name: x\n   labels: {}\n`);
  await write('apps/linked/real/d.yaml', cm('d'));
  await symlink(join(root, 'apps/linked/real'), join(root, 'apps/linked/alias'));
  await write('apps/escape/ok.yaml', cm('ok'));
  await symlink(join(outside, 'secret.yaml'), join(root, 'apps/escape/secret.yaml'));
  await write('apps/loop/x/e.yaml', cm('e'));
  await symlink('..', join(root, 'apps/loop/x/up'));
  await write('apps/kustomized/kustomization.yaml', 'resources: []\n');
  await write('apps/big/big.yaml', `${cm('big')}data:\n  blob: "${'x'.repeat(2000)}"\n`);
  await symlink(outside, join(root, 'outside-link'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('loadManifests', () => {
  it('reads YAML and JSON recursively in name order, tagging file and line; skips fleet.yaml, hidden files and overlays/', async () => {
    expect(await names('apps/web')).toEqual([
      'apps/web/a.yml:1 a',
      'apps/web/b.yaml:1 b1',
      'apps/web/b.yaml:6 b2',
      'apps/web/sub/c.json:1 c',
      'apps/web/sub/list.yaml:4 l1',
    ]);
  });

  it('gives the same result for equivalent spellings of the path', async () => {
    const expected = await names('apps/web');
    expect(await names('./apps//web/')).toEqual(expected);
  });

  it('reads the overlays/ directory when asked to', async () => {
    expect(await names('apps/web', { skipOverlaysDir: false })).toContain('apps/web/overlays/eu/a.yml:1 eu');
  });

  it('follows symlinks that stay inside the root, naming files by the path walked', async () => {
    expect(await names('apps/linked')).toEqual(['apps/linked/alias/d.yaml:1 d', 'apps/linked/real/d.yaml:1 d']);
  });

  it.each([
    ['../outside', PathInvalidError, 'must not contain ".." segments'],
    ['apps/../../outside', PathInvalidError, 'must not contain ".." segments'],
    ['apps\\..\\..\\outside', PathInvalidError, 'must not contain ".." segments'],
    ['/etc', PathInvalidError, 'must be relative'],
    ['apps/missing', PathNotFoundError, 'is not a directory'],
    ['apps/web/a.yml', PathNotFoundError, 'is not a directory'],
    ['outside-link', SymlinkEscapeError, 'outside-link is a symlink that resolves outside the repository'],
    ['apps/escape', SymlinkEscapeError, 'apps/escape/secret.yaml is a symlink that resolves outside the repository'],
    ['apps/loop', SymlinkLoopError, 'apps/loop/x/up is a symlink to its own ancestor'],
    ['apps/kustomized', UnsupportedLayoutError, 'apps/kustomized/kustomization.yaml: this directory needs'],
  ])('refuses %s', async (relPath, type, message) => {
    const load = loadManifests(root, relPath);
    await expect(load).rejects.toThrow(type);
    await expect(loadManifests(root, relPath)).rejects.toThrow(message);
  });

  it('reports a syntax error with the file, the line and the column', async () => {
    const load = loadManifests(root, 'apps/broken');
    await expect(load).rejects.toBeInstanceOf(YamlSyntaxError);
    // Line 8 is `  name: x`, which the more indented line 9 turns into an invalid compact mapping.
    await expect(loadManifests(root, 'apps/broken')).rejects.toThrow(
      /^apps\/broken\/z\.yaml:8:9: Nested mappings are not allowed in compact mappings$/,
    );
  });

  it('refuses a file over the size limit, and reads it under a larger one', async () => {
    await expect(loadManifests(root, 'apps/big', { maxFileBytes: 1024 })).rejects.toThrow(FileTooLargeError);
    await expect(loadManifests(root, 'apps/big', { maxFileBytes: 1024 })).rejects.toThrow(
      /apps\/big\/big\.yaml is \d+ bytes, over the limit of 1024 bytes/,
    );
    expect(await names('apps/big')).toEqual(['apps/big/big.yaml:1 big']);
  });
});
