import { describe, expect, it } from 'vitest';
import { helpAbout, helpRoute, usageOf, wantsHelp } from './help.js';

const TOP = 'usage: tool <command>';
const USAGES = { run: 'usage: tool run [flags]' };

describe('the help routing the hub and agent CLIs share', () => {
  it('help asked for goes to stdout with 0; help earned by a mistake to stderr with 2; both end with a newline', () => {
    expect(helpRoute('text')).toEqual({ kind: 'help', text: 'text\n', exitCode: 0, stream: 'stdout' });
    expect(helpRoute('text', 2)).toEqual({ kind: 'help', text: 'text\n', exitCode: 2, stream: 'stderr' });
  });

  it('--help and -h ask for help anywhere among the flags; nothing else does', () => {
    expect(wantsHelp(['--cluster', 'c1', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp([])).toBe(false);
    expect(wantsHelp(['--helpful', 'h', '-hh'])).toBe(false);
  });

  it('help [command]: the top usage, the command usage, or an unknown command named before the top usage', () => {
    expect(helpAbout(undefined, TOP, USAGES)).toEqual(helpRoute(TOP));
    expect(helpAbout('run', TOP, USAGES)).toEqual(helpRoute(USAGES.run));
    expect(helpAbout('walk', TOP, USAGES)).toEqual(helpRoute(`unknown command "walk"\n\n${TOP}`, 2));
  });

  it('names every object inherits (toString, constructor, ...) are not commands', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(usageOf(USAGES, name)).toBeUndefined();
      expect(helpAbout(name, TOP, USAGES)).toEqual(helpRoute(`unknown command "${name}"\n\n${TOP}`, 2));
    }
    expect(usageOf(USAGES, 'run')).toBe(USAGES.run);
  });
});
