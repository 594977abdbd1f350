import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppliedStateFile, decodeAppliedState, encodeAppliedState, type AppliedState } from './applied-state.js';

const state = (generation: string, ...ids: string[]): AppliedState => ({
  generation,
  refs: ids.map((id, i) => ({
    deployment: id,
    digest: `${i}`.repeat(64),
    generation: String(i + 1),
    revision: 'abc123',
    options: null,
  })),
});

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'flotilla-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('applied state encoding', () => {
  it('reads back what it wrote', () => {
    const s = state('9f2c', 'dev/web', 'dev/db');
    expect(decodeAppliedState(encodeAppliedState(s))).toEqual(s);
  });

  it('refuses every cut-short text, as a crash mid-write leaves it', () => {
    const text = encodeAppliedState(state('9f2c', 'dev/web', 'dev/db'));
    // The whole text less its trailing newline is still whole; anything shorter is not.
    for (let n = 0; n < text.length - 1; n++)
      expect(decodeAppliedState(text.slice(0, n)), `${n} bytes`).toBeUndefined();
  });

  it('refuses a text whose state was mixed with an older one, even when it parses', () => {
    const older = encodeAppliedState(state('1111', 'dev/web'));
    const newer = encodeAppliedState(state('2222', 'dev/web'));
    expect(older.length).toBe(newer.length);
    // The newer checksum and generation over the older refs: what a torn in-place rewrite can leave.
    const at = newer.indexOf('"refs"');
    const mixed = newer.slice(0, at) + older.slice(at).replace('"digest":"0', '"digest":"1');
    expect(() => JSON.parse(mixed) as unknown).not.toThrow();
    expect(decodeAppliedState(mixed)).toBeUndefined();
  });

  it('refuses foreign files and reads the older format (written whole, with a rename)', () => {
    expect(decodeAppliedState('')).toBeUndefined();
    expect(decodeAppliedState('\0\0\0\0')).toBeUndefined();
    expect(decodeAppliedState('[]')).toBeUndefined();
    expect(decodeAppliedState('{"generation":3,"refs":[]}')).toBeUndefined();
    expect(decodeAppliedState('{"sha256":"00","state":{"generation":"1","refs":[]}}')).toBeUndefined();
    const s = state('7', 'dev/web');
    expect(decodeAppliedState(JSON.stringify(s))).toEqual(s);
  });
});

describe('applied state of an older agent', () => {
  it('reads the refs an agent of 0.1 wrote, naming the deployment `deployment`, as deployments', () => {
    const legacy = JSON.stringify({
      generation: '7',
      refs: [{ deployment: 'dev/web', digest: 'a'.repeat(64), generation: '3', revision: 'abc123', options: null }],
    });
    const text = `{"sha256":"${createHash('sha256').update(legacy).digest('hex')}","state":${legacy}}\n`;
    expect(decodeAppliedState(text)).toStrictEqual({
      generation: '7',
      refs: [{ deployment: 'dev/web', digest: 'a'.repeat(64), generation: '3', revision: 'abc123', options: null }],
    });
    expect(decodeAppliedState('{"generation":"7","refs":[{"digest":"ab"}]}')).toBeUndefined();
  });
});

describe('AppliedStateFile', () => {
  it('creates its directory, rewrites one file in place, keeps the newest state and stops at close', async () => {
    const path = join(tempDir(), 'agent', 'desired.json');
    const errors: unknown[] = [];
    const f = new AppliedStateFile(path, (e) => errors.push(e));
    expect(f.load()).toBeUndefined();
    f.save(state('1', 'dev/web', 'dev/db', 'dev/cache'));
    // Saves asked for while one runs collapse into one of the newest state.
    for (let g = 2; g <= 50; g++) f.save(state(String(g), 'dev/web', 'dev/db'));
    await f.close();
    const inode = statSync(path).ino;
    expect(f.load()).toEqual(state('50', 'dev/web', 'dev/db'));
    // A shorter state than the one before leaves no tail of it.
    expect(readFileSync(path, 'utf8')).toBe(encodeAppliedState(state('50', 'dev/web', 'dev/db')));
    f.save(state('51', 'dev/web'));
    await f.close();
    expect(f.load()).toEqual(state('50', 'dev/web', 'dev/db'));

    const again = new AppliedStateFile(path, (e) => errors.push(e));
    expect(again.load()).toEqual(state('50', 'dev/web', 'dev/db'));
    again.save(state('52', 'dev/web'));
    await again.close();
    expect(again.load()).toEqual(state('52', 'dev/web'));
    expect(statSync(path).ino).toBe(inode);
    expect(errors).toEqual([]);
  });

  it('starts from nothing on a torn file, and says why a save failed', async () => {
    const dir = tempDir();
    const path = join(dir, 'desired.json');
    writeFileSync(path, encodeAppliedState(state('1', 'dev/web')).slice(0, 40));
    expect(new AppliedStateFile(path, () => undefined).load()).toBeUndefined();

    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where a directory should be');
    const errors: unknown[] = [];
    const f = new AppliedStateFile(join(blocked, 'desired.json'), (e) => errors.push(e));
    f.save(state('1', 'dev/web'));
    await f.close();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/not-a-dir/);
    expect(readFileSync(blocked, 'utf8')).toBe('a file where a directory should be');
  });
});
