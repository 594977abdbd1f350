import { waitPortFree } from './ports.js';
import { spawnServer, type Spawned } from './process.js';
import { waitFor } from './wait.js';

/** What the harness needs to start a server and know it is serving. */
export interface LaunchSpec {
  /** Names the server in errors: "kube-apiserver of cluster alpha". */
  what: string;
  /** The ports it binds on `host`: a start waits (bounded) until each is free. */
  ports: number[];
  host?: string;
  ready: () => Promise<boolean>;
  readyTimeoutMs: number;
  /** How long a start waits for its ports to be free (default 15 s). */
  portWaitMs?: number;
  /** Starts when a port is still taken: the server's own bind error each time (default 4). */
  attempts?: number;
}

export class LaunchError extends Error {
  readonly code = 'LAUNCH';
  constructor(
    message: string,
    /** The server exited because a port it binds was taken. */
    readonly portTaken: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const BIND_CLASH = /address already in use|EADDRINUSE/i;

/**
 * Starts a server and waits until it serves. When it exits because one of its ports is taken (an
 * old process not quite gone, or something else bound it meanwhile), it is started again a few
 * times on the same ports; any other exit fails at once with the server's own last log lines,
 * never after the caller's whole timeout.
 */
export async function launch(spec: LaunchSpec, start: () => Spawned): Promise<Spawned> {
  const attempts = spec.attempts ?? 4;
  const host = spec.host ?? '127.0.0.1';
  for (let attempt = 1; ; attempt++) {
    const stillTaken: number[] = [];
    for (const port of spec.ports) {
      if (!(await waitPortFree(port, spec.portWaitMs ?? 15_000, host))) stillTaken.push(port);
    }
    const proc = start();
    try {
      await waitFor(spec.ready, {
        what: spec.what,
        timeoutMs: spec.readyTimeoutMs,
        intervalMs: 100,
        abort: () => {
          const exit = proc.exited();
          return exit && `${proc.name} ${exit}; last log lines (${proc.logFile}):\n${proc.tail(15)}`;
        },
      });
      return proc;
    } catch (err) {
      await proc.stop(1000);
      const portTaken = BIND_CLASH.test(proc.output());
      if (portTaken && attempt < attempts) {
        await new Promise((r) => setTimeout(r, 250 * attempt));
        continue;
      }
      const why = err instanceof Error ? err.message : String(err);
      const taken = stillTaken.length > 0 ? `; port ${stillTaken.join(', ')} was still taken when it started` : '';
      const message = portTaken
        ? `${spec.what}: could not bind port ${spec.ports.join(', ')} in ${attempt} starts${taken}: ${why}`
        : why;
      throw new LaunchError(message, portTaken, { cause: err });
    }
  }
}

export interface RestartOptions {
  /** SIGKILL for a crash, SIGTERM (default) for a graceful stop. */
  signal?: NodeJS.Signals;
  /** After this long without exiting, SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Runs while the server is down, just before it starts again. */
  whileDown?: () => void | Promise<void>;
  /** Overrides of the server's launch limits for this restart. */
  launch?: Pick<LaunchSpec, 'portWaitMs' | 'attempts'>;
}

/**
 * Stops a server, waits until its process has exited, and starts it again with the same command,
 * arguments and log file, on the same ports (see `launch`).
 */
export async function restart(old: Spawned, spec: LaunchSpec, o: RestartOptions = {}): Promise<Spawned> {
  old.kill(o.signal ?? 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    old.ended(),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        old.kill('SIGKILL');
        resolve(old.ended());
      }, o.stopTimeoutMs ?? 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  await o.whileDown?.();
  return launch({ ...spec, ...o.launch }, () => spawnServer(old.command, [...old.args], old.options));
}
