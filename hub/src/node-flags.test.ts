import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HUB_NODE_FLAGS } from './node-flags.js';

const dockerfile = fileURLToPath(new URL('../../deploy/hub/Dockerfile', import.meta.url));

describe("the hub's Node flags", () => {
  it('are the ones its container image starts it with', () => {
    const entry = readFileSync(dockerfile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('ENTRYPOINT '));
    expect(entry, 'deploy/hub/Dockerfile has an ENTRYPOINT').toBeDefined();
    expect(JSON.parse(entry!.slice('ENTRYPOINT '.length))).toEqual(['node', ...HUB_NODE_FLAGS, 'hub/dist/main.js']);
  });

  it('are accepted by this Node', () => {
    // A flag V8 does not know is an error at start: the hub would not start at all.
    expect(
      execFileSync(process.execPath, [...HUB_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' }),
    ).toBe('ok');
  });
});
