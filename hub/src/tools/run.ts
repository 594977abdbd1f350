import { execFile } from 'node:child_process';
import { FlotillaError } from '@flotilla/proto';
import { locateTool, toolMissing } from './locate.js';
import type { Containment, Sandbox } from './sandbox.js';

export class ToolError extends FlotillaError {
  readonly code = 'RENDER_TOOL';
}

export interface RunOptions extends Containment {
  sandbox: Sandbox;
  timeoutMs: number;
  /** Refuse output beyond this many bytes (a chart that expands enormously). */
  maxOutputBytes: number;
  /** Names what is being rendered, for messages: "helm chart apps/web". */
  what: string;
}

/**
 * Runs a rendering tool contained by the sandbox, returning stdout; failures name the tool, the input
 * and the tool's own words.
 */
export function runTool(binary: string, args: string[], o: RunOptions): Promise<string> {
  const lookup = locateTool(binary);
  if (!('found' in lookup)) return Promise.reject(new ToolError(`${o.what}: ${toolMissing(binary, lookup.looked)}`));
  const run = o.sandbox.wrap(lookup.found, args, o);
  return new Promise((resolvePromise, reject) => {
    execFile(
      run.command,
      run.args,
      {
        env: run.env,
        timeout: o.timeoutMs,
        maxBuffer: o.maxOutputBytes,
        encoding: 'utf8',
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolvePromise(stdout);
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        let why: string;
        if (e.code === 'ENOENT') why = `${run.command} is not installed (or not on PATH)`;
        else if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') why = `output exceeds ${o.maxOutputBytes} bytes`;
        else if (e.killed) why = `timed out after ${o.timeoutMs} ms`;
        else why = (stderr || e.message).trim().split('\n').slice(-8).join('\n');
        reject(new ToolError(`${o.what}: ${why}`, { cause: err }));
      },
    );
  });
}
