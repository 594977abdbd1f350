import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './kube/binaries.js';

/** The built `fleet` binary (npx tsc -b first). */
export const FLEET = join(REPO_ROOT, 'cli/bin/run.js');

export interface FleetRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: none of the test runner's FLOTILLA_* variables, a home and a
 * config file of its own under `home`.
 */
export function userEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLOTILLA_')) env[k] = v;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    FLOTILLA_CONFIG: join(home, 'fleet.json'),
    NO_COLOR: '1',
    ...extra,
  };
}

/** Runs `fleet ARGS` as a process, as a user would; its exit code and output. */
export function runFleet(
  args: string[],
  o: { env: NodeJS.ProcessEnv; cwd?: string; stdin?: string },
): Promise<FleetRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLEET, ...args], {
      env: o.env,
      cwd: o.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(o.stdin ?? '');
  });
}

/** `fleet ARGS -o json`, parsed; throws with the command's stderr when it fails. */
export async function fleetJson<T>(args: string[], o: Parameters<typeof runFleet>[1]): Promise<T> {
  const r = await runFleet([...args, '-o', 'json'], o);
  if (r.code !== 0) throw new Error(`fleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
