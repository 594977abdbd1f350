/**
 * Hub CPU per agent status message, gRPC and NATS side by side: N status reports (alternating
 * Ready / NotReady, so that each one is folded into the deployment) from a publisher in a child
 * process, and this process's CPU time (the hub side only) until all are folded.
 *
 *   npm run bench:transport-status -- [--messages 20000]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MemoryCluster } from '../harness/memory-cluster.js';
import { startNats } from '../harness/nats.js';
import { bundle as hubBundle, protocol, store as hubStore } from '@flotilla/hub';
import { HubConnection, NatsHubConnection } from '@flotilla/agent';
import { NATS } from '@flotilla/proto/runtime';

const { values } = parseArgs({ options: { messages: { type: 'string' } }, strict: false });
const N = Number(values.messages ?? 20_000);
const publisher = fileURLToPath(new URL('./transport-status-publisher.ts', import.meta.url));

function seed(dir: string) {
  const store = hubStore.openStore(join(dir, 'hub.db'));
  const web = hubBundle.canonicalize([{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } } }]);
  store.bundles.put({ digest: web.digest, content: web.bytes, objectCount: 1 });
  store.repos.put({ name: 'config', url: 'http://git.invalid/c.git', pollIntervalSeconds: 60 });
  store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', selector: 'env=dev' });
  store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
  const { token } = protocol.mintRegistrationToken(store, { cluster: 'alpha', labels: { env: 'dev' } });
  return { store, token, digest: web.digest };
}

function runPublisher(args: Record<string, string>): Promise<void> {
  const child = fork(publisher, [JSON.stringify(args)], {
    execArgv: ['--conditions=@flotilla/source', '--import', 'tsx'],
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited ${code}`)))),
  );
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function grpc() {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-cpu-grpc-'));
  const { store, token, digest } = seed(dir);
  const hub = await protocol.startGrpcServer({ store, address: '127.0.0.1:0' });
  const reg = new HubConnection(
    { address: `127.0.0.1:${hub.port}`, clusterName: 'alpha', credentialFile: join(dir, 'cred'), token },
    new MemoryCluster(),
  );
  const credential = await reg.credential();
  store.deployments.setDesired({ cluster: 'alpha', target: 'web', environment: 'dev', bundle: digest, options: {} });
  const generation = String(store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })!.generation);
  const done = () => store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })?.message === 'last';
  const cpu = process.cpuUsage();
  const t0 = Date.now();
  const pub = runPublisher({
    transport: 'grpc',
    address: `127.0.0.1:${hub.port}`,
    credential,
    generation,
    n: String(N),
  });
  while (!done()) await new Promise((r) => setTimeout(r, 5));
  const result = { transport: 'grpc', messages: N, wallMs: Date.now() - t0, hubCpuMs: cpuMs(cpu) };
  await pub;
  await hub.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

async function nats() {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-cpu-nats-'));
  const { store, token, digest } = seed(dir);
  const server = await startNats();
  let hub = await protocol.startNatsServer({ store, servers: server.url });
  const reg = new NatsHubConnection(
    { servers: server.url, clusterName: 'alpha', credentialFile: join(dir, 'cred'), token },
    new MemoryCluster(),
  );
  const credential = await reg.credential();
  store.deployments.setDesired({ cluster: 'alpha', target: 'web', environment: 'dev', bundle: digest, options: {} });
  const generation = String(store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })!.generation);
  // What starting the hub costs by itself (the stream is empty yet), taken off the figure below.
  await hub.stop();
  const idle = process.cpuUsage();
  await (await protocol.startNatsServer({ store, servers: server.url })).stop();
  const startupCpu = cpuMs(idle);
  // Fill the stream while the hub is away, then time the hub draining it: the publisher's CPU is not counted.
  await runPublisher({ transport: 'nats', url: server.url, credential, generation, n: String(N) });
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  const cpu = process.cpuUsage();
  const t0 = Date.now();
  hub = await protocol.startNatsServer({ store, servers: server.url });
  for (;;) {
    const info = await jsm.consumers.info(NATS.reportStream, NATS.hubConsumer);
    if (info.num_pending === 0 && info.num_ack_pending === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const result = { transport: 'nats', messages: N, wallMs: Date.now() - t0, hubCpuMs: cpuMs(cpu) - startupCpu };
  await nc.close();
  await hub.stop();
  await server.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const rows = [await grpc(), await nats()].map((r) => ({
  ...r,
  hubCpuMs: Math.round(r.hubCpuMs),
  'hub µs / message': Math.round((r.hubCpuMs * 1000) / r.messages),
  'messages / s': Math.round((r.messages * 1000) / r.wallMs),
}));
console.table(rows);
process.exit(0);
