import { Errors, type Hook } from '@oclif/core';
import { EXIT_CODES } from '../errors.js';

/** An unknown command is a usage error (exit code 2) that names the commands that do exist nearby. */
const hook: Hook<'command_not_found'> = async function (opts) {
  const words = opts.id.split(':');
  const ids = opts.config.commandIDs;
  const sameTopic = ids.filter((id) => id.startsWith(`${words[0]}:`)).map((id) => id.replaceAll(':', ' '));
  const suggestions =
    sameTopic.length > 0
      ? [`commands under "${words[0]}": ${sameTopic.join(', ')}`]
      : [`see the commands with \`${opts.config.bin} --help\``];
  throw new Errors.CLIError(`"${words.join(' ')}" is not a ${opts.config.bin} command`, {
    exit: EXIT_CODES.usage.code,
    suggestions,
  });
};

export default hook;
