import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launch, LaunchError, restart, type LaunchSpec } from './launch.js';
import { freePort, occupyPort, portIsFree, releasePort, reservePort } from './ports.js';
import { spawnServer, type Spawned } from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real server process: HTTP on a port, answering with its name; Node's own error when it cannot bind. */
const SERVER = `require('node:http').createServer((q, s) => s.end('tiny')).listen(Number(process.argv[1]), '127.0.0.1')`;

function tinyServer(port: number, log: string): Spawned {
  return spawnServer(process.execPath, ['-e', SERVER, String(port)], { name: 'tiny', logFile: log });
}

function specFor(port: number, o: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    what: `tiny server on port ${port}`,
    ports: [port],
    readyTimeoutMs: 10_000,
    ready: async () =>
      (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.text(),
        () => '',
      )) === 'tiny',
    ...o,
  };
}

describe('freePort', () => {
  it('hands out a port below the kernel ephemeral range, reserved to this process', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const port = await freePort();
    expect(port).toBeLessThan(low);
    expect(await portIsFree(port)).toBe(true);
    // Reserved: no other harness process (nor this one again) is given it.
    expect(reservePort(port)).toBe(false);
    releasePort(port);
  });

  it('refuses a port a live process reserved, and takes over one whose process is gone', () => {
    const reservations = join(dir, 'ports');
    expect(reservePort(30_001, reservations)).toBe(true);
    expect(reservePort(30_001, reservations)).toBe(false);
    writeFileSync(join(reservations, '30002'), String(process.ppid));
    expect(reservePort(30_002, reservations)).toBe(false);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(reservations, '30003'), gone.stdout);
    expect(reservePort(30_003, reservations)).toBe(true);
    expect(readFileSync(join(reservations, '30003'), 'utf8')).toBe(String(process.pid));
  });
});

describe('launch and restart', () => {
  it('restarts on the same port while another listener holds it for a second', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const spec = specFor(port);
    const log = join(dir, 'held.log');
    const first = await launch(spec, () => tinyServer(port, log));
    let holder: Server | undefined;
    const t0 = Date.now();
    const second = await restart(first, spec, {
      signal: 'SIGKILL',
      whileDown: async () => {
        holder = await occupyPort(port);
        setTimeout(() => holder?.close(), 1000);
      },
    });
    try {
      expect(first.exited()).toBe('killed by SIGKILL');
      expect(second.pid).not.toBe(first.pid);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(await spec.ready()).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it(
    'fails with the server own bind error, after a few starts, when the port stays taken',
    { timeout: 30_000 },
    async () => {
      const port = await freePort();
      const spec = specFor(port);
      const log = join(dir, 'taken.log');
      const first = await launch(spec, () => tinyServer(port, log));
      let holder: Server | undefined;
      const t0 = Date.now();
      try {
        const err = await restart(first, spec, {
          launch: { portWaitMs: 200, attempts: 3 },
          whileDown: async () => {
            holder = await occupyPort(port);
          },
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(LaunchError);
        expect((err as LaunchError).portTaken).toBe(true);
        expect((err as Error).message).toMatch(/could not bind port \d+ in 3 starts; port \d+ was still taken/);
        expect((err as Error).message).toMatch(/EADDRINUSE/);
        expect(readFileSync(log, 'utf8').match(/EADDRINUSE: address already in use/g)).toHaveLength(3);
        // Seconds, not the minutes of a caller's timeout.
        expect(Date.now() - t0).toBeLessThan(20_000);
      } finally {
        holder?.close();
      }
    },
  );

  it('fails at once, with the server last log lines, when it exits for another reason', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await launch(specFor(port, { readyTimeoutMs: 60_000 }), () =>
      spawnServer(process.execPath, ['-e', 'console.error("config.yaml: line 3: bad field"); process.exit(3)'], {
        name: 'broken',
        logFile: join(dir, 'broken.log'),
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).portTaken).toBe(false);
    expect((err as Error).message).toMatch(/broken exited with code 3[^]*config\.yaml: line 3: bad field/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
