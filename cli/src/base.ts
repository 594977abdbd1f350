import { homedir } from 'node:os';
import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { FleetClient } from './client.js';
import { configPath, readSavedConfig, resolveConnection, type Connection } from './config.js';
import { EXIT_CODES, FleetError, HubError } from './errors.js';
import { OUTPUT_FORMATS, render, type OutputFormat } from './format.js';
import { hubFetch } from './transport.js';

export type FleetFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof FleetCommand)['baseFlags'] & T['flags']
>;
export type FleetArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * Every `fleet` command: parses its flags and arguments, talks to the hub through {@link FleetClient},
 * prints through the one formatting module, and maps errors to messages with hints and exit codes.
 */
export abstract class FleetCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    output: Flags.option({
      char: 'o',
      options: OUTPUT_FORMATS,
      default: 'table' as const,
      summary: 'Output format.',
      helpGroup: 'GLOBAL',
    })(),
  };

  protected flags!: FleetFlags<T>;
  protected args!: FleetArgs<T>;
  /** Every positional word, for commands that take a variable number (`static strict = false`). */
  protected positionals: string[] = [];
  protected format: OutputFormat = 'table';

  protected override async init(): Promise<void> {
    await super.init();
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as unknown as typeof FleetCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as FleetFlags<T>;
    this.args = args as FleetArgs<T>;
    this.positionals = argv.map(String);
    this.format = this.flags.output;
  }

  /** Where to connect: FLOTILLA_HUB_URL / FLOTILLA_TOKEN over the saved login. */
  protected connection(): Connection {
    return resolveConnection(readSavedConfig(this.configFile()), process.env);
  }

  protected configFile(): string {
    return configPath(process.env, homedir());
  }

  protected client(conn: Connection = this.connection()): FleetClient {
    return new FleetClient({
      hubUrl: conn.hubUrl,
      token: conn.token,
      userAgent: this.config.userAgent,
      fetch: hubFetch(conn),
      insecureHttp: conn.insecureHttp,
    });
  }

  /** Prints the result in the chosen format; `asTable` renders the human view. */
  protected print<D>(data: D, asTable: (d: D) => string): void {
    process.stdout.write(render(this.format, data, asTable));
  }

  /** A progress or confirmation line: stderr, so that stdout stays the result (pipes, `-o json`). */
  protected note(message: string): void {
    if (this.format === 'table') process.stderr.write(`${message}\n`);
  }

  protected override async catch(err: Interfaces.CommandError): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    if (err instanceof FleetError) {
      process.stderr.write(
        this.format === 'table' ? `${errorText(err)}\n` : `${JSON.stringify({ error: err.toJSON() })}\n`,
      );
      throw new Errors.ExitError(EXIT_CODES[err.exit].code);
    }
    const oclif = (err as unknown as Partial<Interfaces.OclifError>).oclif;
    if (oclif?.exit !== undefined) {
      // Whatever fails while flags and arguments are parsed is a usage error, whichever oclif class it is.
      if (!this.parsed) oclif.exit = EXIT_CODES.usage.code;
      throw err;
    }
    process.stderr.write(`Error: ${err.message}\n`);
    if (process.env.DEBUG) process.stderr.write(`${err.stack}\n`);
    throw new Errors.ExitError(EXIT_CODES.error.code);
  }
}

/** The human text of an error: what is wrong, the hub's hint, and structured detail worth showing. */
export function errorText(err: FleetError): string {
  const lines = [`Error: ${err.message}`];
  if (err instanceof HubError) {
    const files = err.details?.files;
    if (Array.isArray(files) && files.length > 0) {
      lines.push('Conflicting files:', ...files.map((f) => `  ${String(f)}`));
    }
    const field = err.details?.field;
    // The hub names the field in its message already in most cases (`body.url: must match ...`).
    const leaf = typeof field === 'string' ? field.split(/[./]/).pop() : undefined;
    if (typeof field === 'string' && leaf && !err.message.includes(leaf)) lines.push(`Field: ${field}`);
  }
  if (err.hint) lines.push(`Hint: ${err.hint}`);
  return lines.join('\n');
}
