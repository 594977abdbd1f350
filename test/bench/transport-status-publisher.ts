// The publisher of transport-status-cpu.ts, in its own process so that its CPU is not the hub's.
import * as grpc from '@grpc/grpc-js';
import { headers, connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { type AgentMessage } from '@flotilla/proto';
import { NATS, loadFlotillaProto, natsCodecs, reportSubject } from '@flotilla/proto/runtime';

const a = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const n = Number(a.n);
const status = (i: number): AgentMessage => ({
  status: {
    deployment: 'dev/web',
    generation: a.generation,
    state: i % 2 === 0 ? 'BUNDLE_STATE_NOT_READY' : 'BUNDLE_STATE_READY',
    message: i === n - 1 ? 'last' : `report ${i}`,
    observedAtUnixMs: i,
  },
});

if (a.transport === 'grpc') {
  const v1 = loadFlotillaProto().flotilla.v1;
  const client = new v1.AgentService(a.address!, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${a.credential}`);
  const call = client.Connect(md);
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  call.write({ hello: { clusterId: 'alpha' } });
  for (let i = 0; i < n; i++) {
    if (!call.write(status(i))) await new Promise((r) => call.once('drain', r));
  }
  // Stay until the parent has seen the last one folded and ends the test.
  await new Promise((r) => setTimeout(r, 60_000).unref());
  call.end();
} else {
  const nc = await connect({ servers: a.url });
  const js = jetstream(nc);
  const codec = natsCodecs().agent;
  const h = headers();
  h.set(NATS.authHeader, `Bearer ${a.credential}`);
  const window: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    window.push(js.publish(reportSubject('alpha', 'status'), codec.encode(status(i)), { headers: h }));
    if (window.length >= 500) await Promise.all(window.splice(0));
  }
  await Promise.all(window);
  await nc.close();
}
process.exit(0);
