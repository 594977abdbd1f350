import { createHash } from 'node:crypto';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { type BundleChunk__Output } from '@flotilla/proto';
import { natsCodecs } from '@flotilla/proto/runtime';
import { protocol } from '@flotilla/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../harness/nats.js';

const codecs = natsCodecs();
const digestOf = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('bundle bytes over NATS: the object store, and one-message replies kept (real nats-server)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let bundles: protocol.BundleObjects;
  let objects: Awaited<ReturnType<typeof protocol.openJetStream>>['objects'];

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    ({ objects } = await protocol.openJetStream(nc));
    bundles = new protocol.BundleObjects(objects, nc, 64 * 1024);
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  /** What an agent receives for a fetch: every chunk until `last`. */
  async function fetch(digest: string, offset = 0): Promise<BundleChunk__Output[]> {
    const inbox = createInbox();
    const sub = nc.subscribe(inbox);
    const got: BundleChunk__Output[] = [];
    const done = (async () => {
      for await (const m of sub) {
        const c = codecs.chunk.decode(m.data);
        got.push(c);
        if (c.last) break;
      }
    })();
    await nc.flush();
    await bundles.send(inbox, digest, offset);
    await done;
    return got;
  }

  it('reads a one-chunk bundle from the object store once, then answers every fetch from the kept reply', async () => {
    const bytes = Buffer.from('{"kind":"ConfigMap"}\n'.repeat(100));
    const digest = digestOf(bytes);
    await bundles.ensure(digest, () => bytes);
    const first = await fetch(digest);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ digest, offset: '0', totalSize: String(bytes.length), last: true });
    expect(Buffer.from(first[0]!.data).equals(bytes)).toBe(true);

    // Gone from the object store: a fetch from the start is still answered, from what was kept.
    await objects.delete(digest);
    const again = await fetch(digest);
    expect(Buffer.from(again[0]!.data).equals(bytes)).toBe(true);
    // A fetch that resumes part-way reads the store, which no longer has it.
    await expect(bundles.send(createInbox(), digest, 10)).rejects.toThrow(/missing from object store/);
  });

  it('streams a bundle larger than a chunk from the store on every fetch, in order, and keeps none of it', async () => {
    const bytes = Buffer.alloc(200 * 1024, 'abcdefgh');
    const digest = digestOf(bytes);
    await bundles.ensure(digest, () => bytes);
    for (let i = 0; i < 2; i++) {
      const chunks = await fetch(digest);
      expect(chunks.map((c) => [Number(c.offset), c.last])).toEqual([
        [0, false],
        [65536, false],
        [131072, false],
        [196608, true],
      ]);
      expect(Buffer.concat(chunks.map((c) => Buffer.from(c.data))).equals(bytes)).toBe(true);
    }
    await objects.delete(digest);
    await expect(bundles.send(createInbox(), digest, 0)).rejects.toThrow(/missing from object store/);
  });
});
