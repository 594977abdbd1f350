import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../harness/nats.js';

describe('nats-server harness (real server, JetStream)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('publishes to a stream and consumes with an explicit ack', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'STATUS', subjects: ['status.>'] });
    await jsm.consumers.add('STATUS', { durable_name: 'hub', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const ack1 = await js.publish('status.alpha', JSON.stringify({ state: 'Ready' }));
    const ack2 = await js.publish('status.beta', JSON.stringify({ state: 'NotReady' }));
    expect(ack2.seq).toBe(ack1.seq + 1);

    const consumer = await js.consumers.get('STATUS', 'hub');
    const got: { subject: string; state: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await consumer.next({ expires: 5000 });
      expect(m).not.toBeNull();
      got.push({ subject: m!.subject, state: (m!.json() as { state: string }).state });
      m!.ack();
    }
    expect(got).toEqual([
      { subject: 'status.alpha', state: 'Ready' },
      { subject: 'status.beta', state: 'NotReady' },
    ]);
    const info = await jsm.consumers.info('STATUS', 'hub');
    expect(info.num_pending).toBe(0);
  });

  it('keeps KV entries and objects in the store', async () => {
    const kv = await new Kvm(nc).create('desired');
    await kv.put('cluster.alpha', JSON.stringify({ generation: 3 }));
    const entry = await kv.get('cluster.alpha');
    expect(entry?.json()).toEqual({ generation: 3 });

    const os = await new Objm(nc).create('bundles');
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    await os.putBlob({ name: 'sha256-abc' }, bytes);
    const back = await os.getBlob('sha256-abc');
    expect(back).toEqual(bytes);
  });

  it('keeps stream messages across a server restart', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'DURABLE', subjects: ['durable.>'] });
    await jetstream(nc).publish('durable.x', 'kept');
    await nats.restart();
    // The client reconnects by itself; the message must come back from the file store.
    await expect
      .poll(
        async () => {
          const jsm2 = await jetstreamManager(nc);
          return (await jsm2.streams.getMessage('DURABLE', { seq: 1 }))?.string();
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe('kept');
  });
});
