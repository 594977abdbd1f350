import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pki } from '@flotilla/proto/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { agentTrustHint, caCommand } from './ca-command.js';

describe('flotilla-hub ca show | hash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-ca-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the CA on first use, then prints the same certificate and its pin', () => {
    expect(agentTrustHint(dir)).toBeUndefined();
    const out: string[] = [];
    caCommand('show', dir, (t) => out.push(t));
    caCommand('show', dir, (t) => out.push(t));
    caCommand('hash', dir, (t) => out.push(t));
    expect(out[0]).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(out[1]).toBe(out[0]);
    expect(out[2]).toBe(`${pki.publicKeyPin(out[0]!)}\n`);
    expect(agentTrustHint(dir)).toBe(`--hub-ca-hash ${pki.publicKeyPin(out[0]!)}`);
  });

  it('names the subcommands it knows', () => {
    expect(() => caCommand('rotate', dir, () => undefined)).toThrow(
      'ca: unknown subcommand "rotate"; use: flotilla-hub ca <show|hash>',
    );
  });
});
