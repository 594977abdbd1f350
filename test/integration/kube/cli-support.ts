import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { waitFor } from '../../harness/wait.js';
import type { E2eWorld } from './e2e-support.js';

export interface FleetRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The built `fleet` CLI against an e2e world's hub, logged in with the admin token the hub writes
 * on its first start (call once the hub runs). Needs `npx tsc -b` (cli/dist) first.
 */
export async function fleetCli(w: E2eWorld, configDir: string): Promise<(...args: string[]) => Promise<FleetRun>> {
  if (!existsSync(join(REPO_ROOT, 'cli/dist/commands')))
    throw new Error('the CLI is not built: run `npx tsc -b` first');
  const tokenFile = join(w.hubDir, 'admin.token');
  await waitFor(() => existsSync(tokenFile), { what: 'admin token', timeoutMs: 10_000 });
  const env = {
    ...process.env,
    FLOTILLA_CONFIG: join(configDir, 'fleet.json'),
    FLOTILLA_HUB_URL: `http://127.0.0.1:${w.httpPort}`,
    FLOTILLA_TOKEN: readFileSync(tokenFile, 'utf8').trim(),
    NO_COLOR: '1',
  };
  return (...args) =>
    new Promise((resolve) =>
      execFile(process.execPath, [join(REPO_ROOT, 'cli/bin/run.js'), ...args], { cwd: REPO_ROOT, env }, (e, o, r) =>
        resolve({ code: e ? Number(e.code ?? 1) : 0, stdout: o, stderr: r }),
      ),
    );
}

/** Throws with the CLI's own words unless it exited 0; its stdout. */
export function ok(r: FleetRun): string {
  if (r.code !== 0) throw new Error(`fleet exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
