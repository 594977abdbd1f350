import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox, SecretError } from './secrets.js';

describe('SecretBox', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flotilla-secrets-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('seals and opens, never leaving the plain text in the sealed form', () => {
    const box = SecretBox.loadOrCreate(join(dir, 'hub.key'));
    const sealed = box.seal('hunter2');
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(sealed).not.toContain('hunter2');
    expect(box.seal('hunter2')).not.toBe(sealed);
    expect(box.open(sealed, 'x')).toBe('hunter2');
    expect(statSync(join(dir, 'hub.key')).mode & 0o777).toBe(0o600);
  });

  it('reuses the key file, and refuses a secret sealed under another key', () => {
    const a = SecretBox.loadOrCreate(join(dir, 'hub.key'));
    const again = SecretBox.loadOrCreate(join(dir, 'hub.key'));
    expect(again.open(a.seal('s'), 'x')).toBe('s');
    const other = SecretBox.loadOrCreate(join(dir, 'other.key'));
    expect(() => other.open(a.seal('s'), 'repo config password')).toThrow(/repo config password cannot be opened/);
    writeFileSync(join(dir, 'bad.key'), 'short');
    expect(() => SecretBox.loadOrCreate(join(dir, 'bad.key'))).toThrow(SecretError);
    expect(readFileSync(join(dir, 'hub.key'), 'utf8').trim()).toHaveLength(44);
  });
});
