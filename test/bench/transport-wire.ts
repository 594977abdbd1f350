/**
 * Bytes on the wire between one agent and its server, gRPC and NATS side by side, counted by a TCP
 * proxy in front of the server: an unchanged reconcile (the hub recomputes, nothing moved), a
 * heartbeat, and an agent reconnecting while holding the current state (handshake included).
 * The real agent session code; the cluster side held in memory.
 *
 *   npm run bench:transport-wire
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle as hubBundle, protocol, store as hubStore } from '@flotilla/hub';
import { MemoryCluster } from '../harness/memory-cluster.js';
import { grpcFixture, natsFixture, natsJwtSetup, type TransportFixture } from '../harness/transports.js';

interface Counter {
  port: number;
  up: number;
  down: number;
  reset(): void;
  close(): void;
}

/** A TCP proxy to 127.0.0.1:`target()` counting agent -> server (up) and server -> agent (down) bytes. */
async function countingProxy(target: () => number): Promise<Counter> {
  const sockets = new Set<Socket>();
  const c = {
    port: 0,
    up: 0,
    down: 0,
    reset() {
      c.up = 0;
      c.down = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
  const server = createServer((client) => {
    const upstream = connect(target(), '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => {
      c.up += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      c.down += d.length;
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  c.port = (server.address() as AddressInfo).port;
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function measure(fx: TransportFixture, upstreamPort: () => number, dir: string) {
  const store = hubStore.openStore(join(dir, 'hub.db'));
  const web = hubBundle.canonicalize([{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } } }]);
  store.bundles.put({ digest: web.digest, content: web.bytes, objectCount: 1 });
  store.repos.put({ name: 'config', url: 'http://git.invalid/c.git', pollIntervalSeconds: 60 });
  store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', selector: 'env=dev' });
  store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
  await fx.startHub(store, { heartbeatSeconds: 1 });
  const proxy = await countingProxy(upstreamPort);
  const sink = new MemoryCluster();
  const events: string[] = [];
  const { token } = protocol.mintRegistrationToken(store, { cluster: 'alpha', labels: { env: 'dev' } });
  const start = (t?: string) => {
    const s = fx.agent({
      cluster: 'alpha',
      dir: join(dir, 'agent'),
      sink,
      dialPort: proxy.port,
      onEvent: (e) => events.push(e),
      ...(t ? { token: t } : {}),
    });
    return { s, running: s.run() };
  };
  let a = start(token);
  await until('connected', () => events.includes('connected'));
  store.deployments.setDesired({
    cluster: 'alpha',
    target: 'web',
    environment: 'dev',
    bundle: web.digest,
    options: {},
  });
  await fx.notify('alpha');
  await until('applied', () => sink.applied.has('dev/web'));
  await sleep(1500);

  proxy.reset();
  await sleep(5000);
  const idle = { up: proxy.up, down: proxy.down };
  proxy.reset();
  for (let i = 0; i < 50; i++) {
    await fx.notify('alpha');
    await sleep(100);
  }
  const busy = { up: proxy.up, down: proxy.down };

  await a.s.stop();
  await a.running;
  events.length = 0;
  await sleep(300);
  proxy.reset();
  a = start();
  await until('unchanged', () => events.includes('unchanged'));
  await sleep(300);
  const reconnect = { up: proxy.up, down: proxy.down, fetched: events.filter((e) => e === 'bundleFetched').length };
  await a.s.stop();
  await a.running;
  proxy.close();
  await fx.stop();
  store.close();
  return {
    transport: fx.name,
    heartbeatBytes: Math.round((idle.up + idle.down) / 5),
    unchangedReconcileBytes: Math.max(0, Math.round((busy.up + busy.down - (idle.up + idle.down)) / 50)),
    reconnectUnchanged: reconnect,
  };
}

const results = [];
{
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-wire-grpc-'));
  const fx = grpcFixture();
  results.push(await measure(fx, () => fx.port, dir));
  rmSync(dir, { recursive: true, force: true });
}
{
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-wire-nats-'));
  const fx = natsFixture({ dir, secure: natsJwtSetup });
  results.push(await measure(fx, () => fx.nats.port, dir));
  rmSync(dir, { recursive: true, force: true });
}
console.table(results.map((r) => ({ ...r, reconnectUnchanged: JSON.stringify(r.reconnectUnchanged) })));
process.exit(0);
