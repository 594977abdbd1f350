import { execFile } from 'node:child_process';
import { FlotillaError } from '@flotilla/proto';

export class ToolError extends FlotillaError {
  readonly code = 'RENDER_TOOL';
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Refuse output beyond this many bytes (a chart that expands enormously). */
  maxOutputBytes: number;
  /** Names what is being rendered, for messages: "helm chart apps/web". */
  what: string;
}

/** Runs a rendering tool, returning stdout; failures name the tool, the input and the tool's own words. */
export function runTool(binary: string, args: string[], o: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      {
        cwd: o.cwd,
        env: o.env,
        timeout: o.timeoutMs,
        maxBuffer: o.maxOutputBytes,
        encoding: 'utf8',
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        let why: string;
        if (e.code === 'ENOENT') why = `${binary} is not installed (or not on PATH)`;
        else if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') why = `output exceeds ${o.maxOutputBytes} bytes`;
        else if (e.killed) why = `timed out after ${o.timeoutMs} ms`;
        else why = (stderr || e.message).trim().split('\n').slice(-8).join('\n');
        reject(new ToolError(`${o.what}: ${why}`, { cause: err }));
      },
    );
  });
}
