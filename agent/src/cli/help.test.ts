import type * as NodeUtil from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { RUN_USAGE, TOP_USAGE, route } from './help.js';
import { USAGE } from './args.js';

// The options `flotilla-agent run` accepts, as given to parseArgs: the help must list every one.
const seen = vi.hoisted(() => ({ options: [] as string[] }));
vi.mock('node:util', async (importOriginal) => {
  const util = await importOriginal<typeof NodeUtil>();
  return {
    ...util,
    parseArgs: (config: Parameters<typeof util.parseArgs>[0]) => {
      seen.options.push(...Object.keys(config?.options ?? {}));
      return util.parseArgs(config);
    },
  };
});

describe('flotilla-agent help', () => {
  it.each([
    [[], TOP_USAGE],
    [['--help'], TOP_USAGE],
    [['-h'], TOP_USAGE],
    [['help'], TOP_USAGE],
    [['help', 'run'], RUN_USAGE],
    [['help', 'apply'], USAGE],
    [['run', '--help'], RUN_USAGE],
    [['run', '--hub', 'h:1', '-h'], RUN_USAGE],
  ])('%j prints its help and exits 0', (argv, text) => {
    expect(route(argv)).toEqual({ kind: 'help', text: `${text}\n`, exitCode: 0, stream: 'stdout' });
  });

  it('an unknown command is named, with the commands, on stderr and exit code 2', () => {
    for (const argv of [['start'], ['help', 'start']]) {
      const r = route(argv);
      expect(r).toMatchObject({ kind: 'help', exitCode: 2, stream: 'stderr' });
      expect(r.kind === 'help' && r.text).toBe(`unknown command "start"\n\n${TOP_USAGE}\n`);
    }
  });

  it('routes run to the agent, and apply and diff (with flags before them too) to the one-shot CLI', () => {
    expect(route(['run', '--hub', 'h:1'])).toEqual({ kind: 'run', args: ['--hub', 'h:1'] });
    expect(route(['apply', 'dir'])).toEqual({ kind: 'oneShot', args: ['apply', 'dir'] });
    expect(route(['--context', 'c', 'diff', 'dir'])).toEqual({
      kind: 'oneShot',
      args: ['--context', 'c', 'diff', 'dir'],
    });
  });

  it('the top help lists every command', () => {
    for (const command of ['run', 'apply', 'diff', 'help'])
      expect(TOP_USAGE).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('run --help lists every flag run accepts', async () => {
    const { parseDaemonArgs } = await import('../connection/daemon.js');
    seen.options.length = 0;
    parseDaemonArgs(['--hub', 'h:1', '--cluster', 'c', '--insecure'], {});
    expect(seen.options.length).toBeGreaterThan(10);
    const missing = seen.options.filter((o) => !RUN_USAGE.includes(`--${o} `) && !RUN_USAGE.includes(`--${o}\n`));
    expect(missing).toEqual([]);
  });
});
