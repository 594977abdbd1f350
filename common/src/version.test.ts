import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLOTILLA_VERSION } from './version.js';

const versionOf = (workspace: string): unknown =>
  (
    JSON.parse(readFileSync(new URL(`../../${workspace}/package.json`, import.meta.url), 'utf8')) as {
      version: unknown;
    }
  ).version;

describe('FLOTILLA_VERSION', () => {
  it('is a semantic version', () => expect(FLOTILLA_VERSION).toMatch(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/));

  // The CLI's `--version` (oclif) reads cli/package.json; the hub and the agent report FLOTILLA_VERSION.
  it.each(['common', 'proto', 'hub', 'agent', 'cli', 'test'])('is the version of the %s workspace', (workspace) =>
    expect(versionOf(workspace)).toBe(FLOTILLA_VERSION),
  );
});
