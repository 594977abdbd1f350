import { describe, expect, it } from 'vitest';
import { checkTreeEntries, isReservedName, parseLsTree, type TreeEntry } from './tree-entries.js';

const OID = 'a'.repeat(40);
const blob = (path: string, mode = '100644'): TreeEntry => ({ mode, type: 'blob', oid: OID, path });
const tree = (path: string): TreeEntry => ({ mode: '040000', type: 'tree', oid: OID, path });

describe('parseLsTree', () => {
  it('reads NUL-terminated records, names verbatim (tabs, newlines, unicode)', () => {
    const records = [
      `040000 tree ${OID}\tapps`,
      `100644 blob ${OID}\tapps/a b\tc\nd.yaml`,
      `120000 blob ${OID}\tapps/ünï`,
      `160000 commit ${OID}\tsub`,
    ];
    const out = Buffer.from(records.map((r) => `${r}\u0000`).join(''));
    expect(parseLsTree(out)).toEqual([
      tree('apps'),
      blob('apps/a b\tc\nd.yaml'),
      blob('apps/ünï', '120000'),
      { mode: '160000', type: 'commit', oid: OID, path: 'sub' },
    ]);
  });

  it('reads an empty listing', () => expect(parseLsTree(Buffer.alloc(0))).toEqual([]));
});

describe('isReservedName', () => {
  it.each(['.', '..', '.git', '.GIT', '.Git.', '.git ', 'git~1', '.git::$INDEX_ALLOCATION'])('refuses %j', (n) =>
    expect(isReservedName(n)).toBe(true),
  );
  it.each(['.gitignore', '.github', 'git', '...', 'a..b', '.g it'])('accepts %j', (n) =>
    expect(isReservedName(n)).toBe(false),
  );
});

describe('checkTreeEntries', () => {
  it('accepts a plain tree', () => {
    expect(checkTreeEntries([tree('apps'), blob('apps/a.yaml'), blob('apps/link', '120000'), blob('r')])).toBe(
      undefined,
    );
  });

  it.each<[string, TreeEntry[], { kind: string; path: string }]>([
    ['an entry named ..', [blob('..')], { kind: 'unsafe', path: '..' }],
    ['.. below a directory', [tree('apps'), blob('apps/..')], { kind: 'unsafe', path: 'apps/..' }],
    ['a .git directory', [tree('.git'), blob('.git/config')], { kind: 'unsafe', path: '.git' }],
    [
      'a symlink and a directory of the same name',
      [tree('apps'), blob('apps/x', '120000'), tree('apps/x'), blob('apps/x/evil.yaml')],
      { kind: 'invalid', path: 'apps/x' },
    ],
    ['the same file twice', [blob('a'), blob('a')], { kind: 'invalid', path: 'a' }],
    ['a file below a file', [blob('a'), blob('a/b')], { kind: 'invalid', path: 'a/b' }],
    ['a file below a directory never listed', [blob('nowhere/b')], { kind: 'invalid', path: 'nowhere/b' }],
    ['an empty name', [tree('a'), blob('a/')], { kind: 'invalid', path: 'a/' }],
    ['a backslash', [blob('a\\b')], { kind: 'invalid', path: 'a\\b' }],
  ])('refuses %s', (_, entries, problem) => expect(checkTreeEntries(entries)).toEqual(problem));
});
