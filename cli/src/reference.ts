// The CLI reference (docs/cli.md) rendered from the command classes' own flags, arguments and examples.
import { EXIT_CODES } from './errors.js';

/** The parts of an oclif command (Command.Loadable) the reference reads. */
export interface CommandDoc {
  id: string;
  summary?: string | undefined;
  description?: string | undefined;
  examples?: readonly (string | { description: string; command: string })[] | undefined;
  args: Record<string, { name: string; description?: string | undefined; required?: boolean | undefined }>;
  flags: Record<
    string,
    {
      name: string;
      char?: string | undefined;
      summary?: string | undefined;
      description?: string | undefined;
      required?: boolean | undefined;
      multiple?: boolean | undefined;
      options?: readonly string[] | undefined;
      default?: unknown;
      type: 'boolean' | 'option';
      hidden?: boolean | undefined;
      env?: string | undefined;
    }
  >;
  hidden?: boolean | undefined;
}

export function renderReference(bin: string, commands: readonly CommandDoc[], sep = ' '): string {
  const visible = [...commands]
    .filter((c) => !c.hidden)
    .map((c) => ({ ...c, summary: c.summary ?? c.description?.split('\n')[0] }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const name = (c: CommandDoc) => `${bin} ${c.id.split(':').join(sep)}`;
  const out = [
    `# The \`${bin}\` command line`,
    '',
    '<!-- Generated from the command classes by `npm run docs:cli`; edit the commands, not this file. -->',
    '',
    `\`${bin}\` talks to the hub's HTTP API. Log in once with \`${bin} login --hub URL --token TOKEN\` (saved to`,
    '`~/.config/flotilla/config.json`, mode 0600, or the file named by `FLOTILLA_CONFIG`); `FLOTILLA_HUB_URL` and',
    '`FLOTILLA_TOKEN` override the saved values. Every command takes `--output table|json|yaml` (`-o`): tables',
    'for people (worst state first), JSON and YAML for scripts (the API shapes, unchanged). Errors go to',
    'standard error with a hint of what to do; with `-o json` they are `{"error": {code, message, hint}}`.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...Object.values(EXIT_CODES).map((e) => `| ${e.code} | ${e.meaning} |`),
    '',
    '## Shell completion',
    '',
    `Run \`${bin} autocomplete\` (bash, zsh or powershell) and follow the instructions it prints.`,
    '',
    '## Commands',
    '',
    ...visible.map((c) => `- [\`${name(c)}\`](#${anchor(name(c))})${c.summary ? `: ${oneLine(c.summary)}` : ''}`),
    '',
  ];
  for (const c of visible) out.push(...commandSection(bin, c, name(c)));
  return `${out.join('\n').trimEnd()}\n`;
}

function commandSection(bin: string, c: CommandDoc, title: string): string[] {
  const lines = [`## \`${title}\``, ''];
  if (c.summary) lines.push(expand(c.summary, bin), '');
  if (c.description && c.description !== c.summary) lines.push(expand(c.description, bin), '');
  const args = Object.values(c.args);
  const flags = Object.values(c.flags).filter((f) => !f.hidden);
  const usageArgs = args.map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`));
  lines.push('```', [title, ...usageArgs, flags.length > 0 ? '[FLAGS]' : ''].filter(Boolean).join(' '), '```', '');
  if (args.length > 0) {
    lines.push('| argument | description |', '| --- | --- |');
    for (const a of args)
      lines.push(`| \`${a.name.toUpperCase()}\`${a.required ? '' : ' (optional)'} | ${cell(a.description)} |`);
    lines.push('');
  }
  if (flags.length > 0) {
    lines.push('| flag | description |', '| --- | --- |');
    for (const f of [...flags].sort((a, b) => flagOrder(a.name) - flagOrder(b.name) || a.name.localeCompare(b.name))) {
      lines.push(`| ${flagName(f)} | ${cell(flagText(f))} |`);
    }
    lines.push('');
  }
  const examples = c.examples ?? [];
  if (examples.length > 0) {
    lines.push('Examples:', '');
    for (const e of examples) {
      if (typeof e === 'string') lines.push('```sh', expand(e, bin), '```', '');
      else lines.push(`${expand(e.description, bin)}:`, '', '```sh', expand(e.command, bin), '```', '');
    }
  }
  return lines;
}

function flagName(f: CommandDoc['flags'][string]): string {
  const value = f.type === 'option' ? (f.options ? `=${f.options.join('\\|')}` : '=VALUE') : '';
  return `${f.char ? `\`-${f.char}\`, ` : ''}\`--${f.name}${value}\``;
}

function flagText(f: CommandDoc['flags'][string]): string {
  const parts = [f.summary ?? f.description ?? ''];
  if (f.required) parts.push('Required.');
  if (f.multiple) parts.push('Repeatable.');
  if (f.default !== undefined && f.default !== false) parts.push(`Default: \`${String(f.default)}\`.`);
  if (f.env) parts.push(`Env: \`${f.env}\`.`);
  return parts.filter(Boolean).join(' ');
}

/** The global --output flag last, so that each command's own flags lead. */
const flagOrder = (name: string) => (name === 'output' ? 1 : 0);

const expand = (text: string, bin: string) => text.replaceAll('<%= config.bin %>', bin);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const cell = (text: string | undefined) => oneLine(text ?? '').replaceAll('|', '\\|');
const anchor = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
