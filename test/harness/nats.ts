import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnServer, type Spawned } from './process.js';
import { launch, restart, type LaunchSpec } from './launch.js';
import { httpCall } from './kube/http.js';

export interface NatsServer {
  /** nats://127.0.0.1:<port> */
  url: string;
  port: number;
  monitorUrl: string;
  proc: Spawned;
  /** Stops the server and removes its JetStream store. */
  stop(): Promise<void>;
  /**
   * Stops the server but keeps the store, then (after `downMs`) starts it again on the same port.
   * `beforeStart` runs at the end of the outage, while the server is still down: what must hold for
   * the whole outage is checked there, not after the restart (by then clients may have reconnected).
   */
  restart(downMs?: number, beforeStart?: () => void | Promise<void>): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface NatsOptions {
  /** Extra nats-server arguments, e.g. ['--user', 'a', '--pass', 'b']. */
  args?: string[];
  binary?: string;
}

/** Starts a real nats-server with JetStream on random loopback ports. */
export async function startNats(opts: NatsOptions = {}): Promise<NatsServer> {
  const binary = opts.binary ?? process.env.NATS_SERVER ?? 'nats-server';
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-nats-'));
  const port = await freePort();
  const monitorPort = await freePort();
  const spec: LaunchSpec = {
    what: `nats-server on port ${port}`,
    ports: [port, monitorPort],
    readyTimeoutMs: 20_000,
    ready: async () => (await httpCall(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`)).status === 200,
  };
  const start = () =>
    spawnServer(
      binary,
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-m',
        String(monitorPort),
        '-js',
        '-sd',
        join(dir, 'js'),
        ...(opts.args ?? []),
      ],
      { name: 'nats-server', logFile: join(dir, 'nats-server.log') },
    );
  const launchFirst = async (): Promise<Spawned> => {
    try {
      return await launch(spec, start);
    } catch (err) {
      const why = (err as Error).message;
      const hint = /ENOENT|could not start/.test(why) ? ' (install it: apt-get install nats-server)' : '';
      throw new Error(`${why}${hint}`, { cause: err });
    }
  };
  let proc = await launchFirst();
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    get proc() {
      return proc;
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0, beforeStart) {
      proc = await restart(proc, spec, {
        whileDown: async () => {
          if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
          await beforeStart?.();
        },
      });
    },
    [Symbol.asyncDispose]() {
      return server.stop();
    },
  };
  return server;
}
