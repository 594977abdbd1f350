import { describe, expect, it } from 'vitest';
import { parseTreeDirName, treeKey, wantedTrees } from './tree-refs.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const C3 = '3'.repeat(40);

describe('wantedTrees', () => {
  const heads: Record<string, string> = { 'config/main': C1, 'config/staging': C2, 'other/main': C3 };
  const head = (repo: string, branch: string) => heads[`${repo}/${branch}`];
  const envs = [
    { name: 'dev', repo: 'config', branch: 'main' },
    { name: 'staging', repo: 'config', branch: 'staging' },
    { name: 'other', repo: 'other', branch: 'main' },
    { name: 'unfetched', repo: 'config', branch: 'new' },
  ];

  it('keeps the head of every branch that a target deploys, once', () => {
    const targets = [
      { repo: 'config', environments: ['dev', 'staging', 'unfetched'] },
      { repo: 'config', environments: ['dev'] },
      { repo: 'other', environments: ['other'] },
    ];
    expect([...wantedTrees(envs, targets, head)].sort()).toEqual(
      [treeKey('config', C1), treeKey('config', C2), treeKey('other', C3)].sort(),
    );
  });

  it('drops an environment no target deploys to, and a target of another repo than its environment', () => {
    const targets = [{ repo: 'other', environments: ['dev'] }];
    expect([...wantedTrees(envs, targets, head)]).toEqual([]);
  });

  it('needs nothing without targets', () => expect(wantedTrees(envs, [], head).size).toBe(0));
});

describe('parseTreeDirName', () => {
  it.each([
    [C1, { kind: 'tree', commit: C1 }],
    [`${C1}.partial-1234`, { kind: 'partial', commit: C1, pid: 1234 }],
    [`${C1}.deleting-99-3`, { kind: 'deleting' }],
    ['a'.repeat(64), { kind: 'tree', commit: 'a'.repeat(64) }],
    ['README', { kind: 'other' }],
    [`${C1}.partial-x`, { kind: 'other' }],
    ['x'.repeat(40), { kind: 'other' }],
  ])('%s', (name, parsed) => expect(parseTreeDirName(name)).toEqual(parsed));
});
