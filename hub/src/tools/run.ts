import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { FlotillaError } from '@flotilla/proto';
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

/** The absolute path of a tool given by path or by name on PATH; undefined when there is none. */
export function resolveBinary(binary: string, path = process.env.PATH ?? ''): string | undefined {
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (binary.includes('/') || isAbsolute(binary)) return executable(binary) ? resolve(binary) : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir && executable(join(dir, binary))) return resolve(dir, binary);
  }
  return undefined;
}

/**
 * Runs a rendering tool contained by the sandbox, returning stdout; failures name the tool, the input
 * and the tool's own words.
 */
export function runTool(binary: string, args: string[], o: RunOptions): Promise<string> {
  const found = resolveBinary(binary);
  if (found === undefined) {
    return Promise.reject(
      new ToolError(`${o.what}: ${binary} is not installed (or not on PATH); set --helm / --kustomize to its path`),
    );
  }
  const run = o.sandbox.wrap(found, args, o);
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
