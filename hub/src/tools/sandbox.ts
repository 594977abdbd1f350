import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { FlotillaError } from '@flotilla/proto';

export const SANDBOX_MODES = ['bwrap', 'none'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

export class SandboxUnavailableError extends FlotillaError {
  readonly code = 'RENDER_SANDBOX_UNAVAILABLE';
}

/** What a contained tool may see: nothing of the host but these paths and the system's programs. */
export interface Containment {
  /** Host paths visible read-only, at the same path (the tool binary, the exported tree, a values file). */
  readOnly: readonly string[];
  /** Empty, writable directories at these paths, gone when the tool exits (helm's homes, /tmp). */
  scratch: readonly string[];
  /** The whole environment of the tool. */
  env: Readonly<Record<string, string>>;
}

export interface Command {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Runs rendering tools as untrusted code. Helm templates and kustomizations come from whoever can
 * push to a repository: the tool must not read the hub's data directory (keys, tokens, other repos'
 * trees), see its environment, or reach the network.
 */
export interface Sandbox {
  readonly mode: SandboxMode;
  wrap(binary: string, args: readonly string[], c: Containment): Command;
}

// The system's programs and libraries, read-only: what a dynamically linked helm or kustomize needs.
// Nothing of /etc, /home, /root, /var or /tmp of the host.
const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** --ro-bind for a directory, --symlink for a merged-/usr link (Debian's /bin -> usr/bin). */
function systemBinds(): string[] {
  const out: string[] = [];
  for (const p of SYSTEM_PATHS) {
    if (!existsSync(p)) continue;
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.push('--symlink', readlinkSync(p), p);
    else if (st.isDirectory()) out.push('--ro-bind', p, p);
  }
  return out;
}

/**
 * bubblewrap: new user, mount, PID, IPC, UTS, cgroup and network namespaces (no interface but an
 * isolated loopback), every capability dropped, running as nobody, a fresh session (no TIOCSTI into
 * the hub's terminal), killed with the hub. Costs a few milliseconds per render (test/bench/RESULTS.md).
 */
export function bwrapSandbox(bwrap = 'bwrap'): Sandbox {
  const system = systemBinds();
  return {
    mode: 'bwrap',
    wrap(binary, args, c) {
      const binds: string[] = [];
      for (const p of new Set([binary, ...c.readOnly])) binds.push('--ro-bind', p, p);
      for (const p of new Set(c.scratch)) binds.push('--tmpfs', p);
      const env: string[] = [];
      for (const [k, v] of Object.entries(c.env)) env.push('--setenv', k, v);
      return {
        command: bwrap,
        args: [
          ...['--unshare-all', '--unshare-user', '--uid', '65534', '--gid', '65534', '--cap-drop', 'ALL'],
          // No /proc at all (helm and kustomize do not need it; mounting one is what unprivileged
          // containers most often forbid).
          ...['--die-with-parent', '--new-session', '--clearenv', '--dev', '/dev'],
          ...system,
          ...['--tmpfs', '/tmp'],
          ...binds,
          ...env,
          '--chdir',
          '/tmp',
          '--',
          binary,
          ...args,
        ],
        env: {},
      };
    },
  };
}

/** No containment: the tool runs as the hub, with only the environment given. For tests and hosts without namespaces. */
export const noSandbox: Sandbox = {
  mode: 'none',
  wrap: (binary, args, c) => ({ command: binary, args: [...args], env: { ...c.env } }),
};

/**
 * The sandbox a hub renders in. With `bwrap`, checks once that it can start a contained process here,
 * and otherwise fails with what to do: the hub never renders uncontained without being told to.
 */
export async function openSandbox(mode: SandboxMode, bwrap = 'bwrap'): Promise<Sandbox> {
  if (mode === 'none') return noSandbox;
  const sandbox = bwrapSandbox(bwrap);
  const truth = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p)) ?? 'true';
  const probe = sandbox.wrap(truth, [], { readOnly: [], scratch: [], env: {} });
  const why = await new Promise<string | undefined>((resolve) => {
    execFile(probe.command, probe.args, { env: probe.env, timeout: 10_000 }, (err, _out, stderr) =>
      resolve(err ? (stderr.trim() || err.message).split('\n').slice(-3).join(' ') : undefined),
    );
  });
  if (why !== undefined) {
    throw new SandboxUnavailableError(
      `the render sandbox (bubblewrap) cannot run here: ${why}. Install it (apt-get install bubblewrap) and ` +
        'allow user namespaces (in a container: a seccomp profile that permits them; see deploy/README.md), ' +
        'or run the hub with --render-sandbox none to render Helm charts and kustomizations uncontained ' +
        '(only when every repository is trusted)',
    );
  }
  return sandbox;
}
