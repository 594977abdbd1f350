/**
 * The help routing the hub's and the agent's command lines share: help that was asked for goes to
 * stdout with exit code 0; help earned by a mistake (no or an unknown command) goes to stderr with 2.
 */
export interface HelpRoute {
  kind: 'help';
  /** Ends with a newline. */
  text: string;
  exitCode: 0 | 2;
  stream: 'stdout' | 'stderr';
}

/** The help `text` prints: asked for (exit code 0, stdout) or earned by a mistake (2, stderr). */
export function helpRoute(text: string, exitCode: 0 | 2 = 0): HelpRoute {
  return { kind: 'help', text: `${text}\n`, exitCode, stream: exitCode === 0 ? 'stdout' : 'stderr' };
}

/** Whether a command's flags ask for its help. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** A command's usage text, if the CLI has that command (a name such as `toString` is not one). */
export function usageOf(usages: Readonly<Record<string, string>>, command: string): string | undefined {
  return Object.hasOwn(usages, command) ? usages[command] : undefined;
}

/**
 * `<cli> help [command]`: the top usage when no command is named, the command's usage, or (exit 2)
 * that the command is unknown, followed by the top usage.
 */
export function helpAbout(about: string | undefined, top: string, usages: Readonly<Record<string, string>>): HelpRoute {
  if (about === undefined) return helpRoute(top);
  const usage = usageOf(usages, about);
  return usage !== undefined ? helpRoute(usage) : helpRoute(`unknown command "${about}"\n\n${top}`, 2);
}
