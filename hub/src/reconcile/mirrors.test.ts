import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectMirrors } from './mirrors.js';

describe('collectMirrors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-mirrors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mirror = (name: string) => {
    mkdirSync(join(dir, name, 'mirror.git', 'objects'), { recursive: true });
    writeFileSync(join(dir, name, 'mirror.git', 'config'), '[core]\n');
  };

  it("deletes the mirrors of repos that are gone and what a killed hub half-deleted, keeps the others'", async () => {
    for (const name of ['config', encodeURIComponent('team/apps'), 'removed', 'old.deleting-12-3']) mirror(name);
    const deleted = await collectMirrors(dir, new Set(['config', 'team/apps']));
    expect(deleted).toEqual(['removed']);
    expect(readdirSync(dir).sort()).toEqual(['config', encodeURIComponent('team/apps')].sort());
    expect(existsSync(join(dir, 'config', 'mirror.git', 'config'))).toBe(true);
  });

  it('does nothing without a repos directory', async () => {
    expect(await collectMirrors(join(dir, 'none'), new Set())).toEqual([]);
  });
});
