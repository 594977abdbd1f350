import { describe, expect, it } from 'vitest';
import { renderReference, type CommandDoc } from './reference.js';

const promote: CommandDoc = {
  id: 'promote',
  summary: 'Promote an environment.',
  description: 'Merges <from> into <to>.\nA conflict is refused.',
  examples: [
    '<%= config.bin %> promote staging prod',
    { description: 'Wait', command: '<%= config.bin %> promote a b --wait' },
  ],
  args: { from: { name: 'from', description: 'Source.', required: true }, to: { name: 'to', description: 'Target.' } },
  flags: {
    output: {
      name: 'output',
      char: 'o',
      type: 'option',
      options: ['table', 'json', 'yaml'],
      default: 'table',
      summary: 'Output format.',
    },
    wait: { name: 'wait', char: 'w', type: 'boolean', summary: 'Wait | block.' },
    secret: { name: 'secret', type: 'option', hidden: true },
  },
};
const hidden: CommandDoc = { id: 'internal:thing', hidden: true, args: {}, flags: {} };
const list: CommandDoc = { id: 'clusters:list', description: 'List clusters.\nMore.', args: {}, flags: {} };

describe('renderReference', () => {
  const md = renderReference('fleet', [promote, hidden, list]);

  it('lists the visible commands by id with their summaries, and the exit codes', () => {
    expect(md).toContain('- [`fleet clusters list`](#fleet-clusters-list): List clusters.\n');
    expect(md).toContain('- [`fleet promote`](#fleet-promote): Promote an environment.\n');
    expect(md).not.toContain('internal');
    expect(md).toMatch(/\| 6 \| not ready: /);
  });

  it("documents each command's usage, arguments, flags (own before global) and examples", () => {
    const section = md.slice(md.indexOf('## `fleet promote`'));
    expect(section).toContain('```\nfleet promote FROM [TO] [FLAGS]\n```');
    expect(section).toContain('| `FROM` | Source. |\n| `TO` (optional) | Target. |');
    expect(section).toContain(
      '| `-w`, `--wait` | Wait \\| block. |\n| `-o`, `--output=table\\|json\\|yaml` | Output format. Default: `table`. |',
    );
    expect(section).not.toContain('--secret');
    expect(section).toContain('```sh\nfleet promote staging prod\n```');
    expect(section).toContain('Wait:\n\n```sh\nfleet promote a b --wait\n```');
  });
});
