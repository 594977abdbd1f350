#!/usr/bin/env node
// Writes the CLI reference: node cli/dist/gen-docs.js [out.md] (default docs/cli.md at the repo root).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';
import { renderReference, type CommandDoc } from './reference.js';

const cliRoot = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] ?? fileURLToPath(new URL('../../docs/cli.md', import.meta.url));
const config = await Config.load(cliRoot);
// The loadable form already holds what the reference needs (names, chars, options, defaults).
const commands = config.commands;
const docs: CommandDoc[] = commands.map((c) => ({
  id: c.id,
  summary: c.summary,
  description: c.description,
  examples: c.examples as CommandDoc['examples'],
  hidden: c.hidden,
  args: Object.fromEntries(
    Object.entries(c.args ?? {}).map(([k, a]) => [
      k,
      { name: a.name ?? k, description: a.description, required: a.required },
    ]),
  ),
  flags: Object.fromEntries(
    Object.entries(c.flags ?? {}).map(([k, f]) => [
      k,
      {
        name: f.name ?? k,
        char: f.char,
        summary: f.summary,
        description: f.description,
        required: f.required,
        multiple: f.type === 'option' ? f.multiple : false,
        options: f.type === 'option' ? f.options : undefined,
        default: typeof f.default === 'function' ? undefined : f.default,
        type: f.type,
        hidden: f.hidden,
        env: f.env,
      },
    ]),
  ),
}));
writeFileSync(out, renderReference(config.bin, docs, config.topicSeparator));
process.stdout.write(`wrote ${out} (${docs.length} commands)\n`);
