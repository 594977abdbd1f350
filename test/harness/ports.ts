import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from './process.js';

// Why not listen(0): the kernel picks such a port from its ephemeral range, the same range it uses
// for the source port of every outgoing connection. A server stopped for a restart (or a port
// probed, closed and handed to a server a moment later) can then find its port taken by some
// client's connection, and fail with EADDRINUSE. Ports below the ephemeral range are never handed
// out by the kernel on its own; a reservation file per port keeps the test processes running in
// parallel from choosing the same one.
const RESERVATIONS = join(tmpdir(), 'flotilla-ports');
const LOWEST = 20_000;

/** The first port of the kernel's ephemeral range (Linux), or undefined when unknown. */
function ephemeralLow(): number | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

/** True when a listener could bind host:port now (the same SO_REUSEADDR rules as a server's bind). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host }, () => srv.close(() => resolve(true)));
  });
}

/** Listens on host:port from this process, as an unrelated program would (for tests of a taken port). */
export async function occupyPort(port: number, host = '127.0.0.1'): Promise<Server> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
  return srv;
}

/** Waits until host:port can be bound; false when it is still taken after `timeoutMs`. */
export async function waitPortFree(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portIsFree(port, host)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Reserves `port` for this process: false when another live process holds it. A reservation whose
 * process has died is taken over.
 */
export function reservePort(port: number, dir = RESERVATIONS): boolean {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      // removed meanwhile: try again
    }
    if (holder === process.pid) return false;
    if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) return false;
    try {
      unlinkSync(file);
    } catch {
      // another process took it over first; its create wins, ours fails with EEXIST
    }
  }
  return false;
}

/** Gives up a reservation this process holds. */
export function releasePort(port: number, dir = RESERVATIONS): void {
  const file = join(dir, String(port));
  try {
    if (Number(readFileSync(file, 'utf8')) === process.pid) unlinkSync(file);
  } catch {
    // not ours, or already gone
  }
}

async function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the address of a probe socket'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/**
 * A free TCP port on loopback that no outgoing connection can take (below the kernel's ephemeral
 * range) and that no other test process of this machine has reserved. It stays reserved to this
 * process for its whole life, so a server may stop and start again on it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const low = ephemeralLow();
  if (low === undefined || low <= LOWEST + 1000) return kernelPort(host);
  for (let tries = 0; tries < 200; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (low - LOWEST));
    if (!reservePort(port)) continue;
    if (await portIsFree(port, host)) return port;
    releasePort(port);
  }
  throw new Error(`no free port found between ${LOWEST} and ${low - 1} after 200 tries`);
}

/** Several distinct free ports. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort(host));
  return [...ports];
}
