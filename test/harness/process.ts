import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

export interface Spawned {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** What was started, so that the same server can be started again (a restart). */
  readonly command: string;
  readonly args: readonly string[];
  readonly options: SpawnOptions;
  /** undefined while running; the exit code or signal once it has ended. */
  exited(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  /** What this process (not an earlier one with the same log file) has written to its log. */
  output(): string;
  /** Sends a signal (SIGKILL: a crash) without waiting. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has ended, however it ended. */
  ended(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep running after this Node process exits (kube:up). */
  detached?: boolean;
}

/** Starts a server process with stdout and stderr appended to a log file. */
export function spawnServer(command: string, args: string[], opts: SpawnOptions): Spawned {
  const fd = openSync(opts.logFile, 'a');
  const logStart = fstatSync(fd).size;
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: opts.detached ?? false,
    });
  } finally {
    closeSync(fd);
  }
  let exit: string | undefined;
  let spawnError: Error | undefined;
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exit = `could not start: ${err.message}`;
      resolve();
    });
  });
  if (opts.detached) child.unref();
  if (child.pid === undefined) {
    throw new Error(`${opts.name}: could not start ${command}: ${spawnError?.message ?? 'no pid'}`);
  }
  const pid = child.pid;
  const tail = (lines = 20) => tailFile(opts.logFile, lines);
  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    command,
    args: [...args],
    options: { ...opts },
    exited: () => exit,
    tail,
    output: () => readFrom(opts.logFile, logStart),
    kill: (signal) => {
      if (exit === undefined) child.kill(signal);
    },
    ended: () => done,
    async stop(graceMs = 5000) {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}

function readFrom(file: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function tailFile(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True when a process with this pid exists (and is not a zombie we could reap). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return true;
  }
}

/** The command line of a pid, to check a PID file still points at what we started. */
export function pidCommand(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes, read from /proc. */
export function pidRss(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Signals a pid we do not hold a ChildProcess for; waits until it is gone. */
export async function killPid(pid: number, graceMs = 5000): Promise<void> {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
