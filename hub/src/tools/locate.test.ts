import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { locateTool, SETUP_TOOLS_DIR, toolMissing } from './locate.js';

const root = mkdtempSync(join(tmpdir(), 'flotilla-locate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dir(name: string, files: Record<string, 'exec' | 'plain' | 'dir'>): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, kind] of Object.entries(files)) {
    if (kind === 'dir') mkdirSync(join(d, f));
    else {
      writeFileSync(join(d, f), '#!/bin/sh\n');
      chmodSync(join(d, f), kind === 'exec' ? 0o755 : 0o644);
    }
  }
  return d;
}

describe('locateTool', () => {
  const onPath = dir('path', { helm: 'exec', kustomize: 'plain', git: 'dir' });
  const setup = dir('setup', { helm: 'exec', kustomize: 'exec', git: 'exec' });
  const empty = dir('empty', {});

  it.each([
    ['PATH wins over the setup directory', 'helm', onPath, join(onPath, 'helm')],
    ['the setup directory when PATH has none', 'helm', empty, join(setup, 'helm')],
    ['a file that is not executable is skipped', 'kustomize', onPath, join(setup, 'kustomize')],
    ['a directory with the name is skipped', 'git', onPath, join(setup, 'git')],
    ['a path is that file only', join(onPath, 'helm'), empty, join(onPath, 'helm')],
  ])('%s', (_, binary, path, found) => {
    expect(locateTool(binary, path, [setup])).toEqual({ found });
  });

  it('names every place it looked when the tool is nowhere', () => {
    const r = locateTool('kubectl', `${onPath}::${empty}`, [setup]);
    expect(r).toEqual({ looked: [onPath, empty, setup] });
    const message = toolMissing('kubectl', 'looked' in r ? r.looked : []);
    expect(message).toContain(`looked in ${onPath}, ${empty}, ${setup}`);
    expect(message).toMatch(/npm run setup.*--helm \/ --kustomize \(FLOTILLA_HELM \/ FLOTILLA_KUSTOMIZE\)/);
  });

  it('a missing path is not looked up on PATH', () => {
    expect(locateTool(join(empty, 'helm'), onPath, [setup])).toEqual({ looked: [join(empty, 'helm')] });
    expect(toolMissing(join(empty, 'helm'), [])).toMatch(/not installed \(no executable file there\)/);
  });

  it("the setup directory is the checkout's .flotilla/bin", () => {
    expect(SETUP_TOOLS_DIR).toBe(join(__dirname, '../../..', '.flotilla', 'bin'));
  });
});
