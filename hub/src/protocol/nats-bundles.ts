import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS, natsCodecs } from '@flotilla/proto/runtime';
import { BytesLru } from './bytes-lru.js';

/** Above this many bytes published and not yet flushed, wait for the server to take them (flow control). */
const FLUSH_EVERY_BYTES = 4 * 1024 * 1024;
/** Bytes of one-message replies kept, newest used first (bundles are content-addressed: a reply never goes stale). */
const REPLIES_KEPT_BYTES = 64 * 1024 * 1024;

/**
 * Bundle bytes in the JetStream object store, named by digest: written once per digest from the
 * hub's bundle store (identical bundles for many clusters are one object), read back in chunks to an
 * agent's reply subject. Agents never read the object store themselves (see nats-auth.ts).
 */
export class BundleObjects {
  private readonly known = new Set<string>();
  private readonly codecs = natsCodecs();
  /**
   * The encoded reply for each bundle that fits one chunk, by digest. A commit that reaches 1,000
   * clusters is 1,000 fetches of one digest: reading the object store for each (a consumer, an info
   * request, the chunks, and the object's SHA-256 checked in JavaScript) was the largest part of the
   * hub's CPU in a converge round over NATS, measured at 1,000 agents.
   */
  private readonly replies = new BytesLru<Uint8Array>(REPLIES_KEPT_BYTES, REPLIES_KEPT_BYTES / 16);

  constructor(
    private readonly objects: ObjectStore,
    private readonly nc: NatsConnection,
    private readonly chunkBytes: number,
  ) {}

  /** Puts a bundle in the object store unless it is there already. */
  async ensure(digest: string, bytes: () => Buffer): Promise<void> {
    if (this.known.has(digest)) return;
    if (!(await this.objects.info(digest))) await this.objects.putBlob({ name: digest }, bytes());
    this.known.add(digest);
  }

  /** Publishes the bundle to `reply` from byte `offset` in chunks; the last one (maybe empty) says `last`. */
  async send(reply: string, digest: string, offset: number): Promise<void> {
    const kept = offset === 0 ? this.replies.get(digest) : undefined;
    if (kept) {
      this.nc.publish(reply, kept);
      return;
    }
    const obj = await this.objects.get(digest);
    if (!obj) throw new Error(`bundle ${digest} is missing from object store ${NATS.bundleBucket}`);
    const total = obj.info.size;
    let skip = offset;
    let at = offset;
    let pending: Buffer[] = [];
    let size = 0;
    let unflushed = 0;
    const publish = async (last: boolean) => {
      const data = Buffer.concat(pending);
      const message = this.codecs.chunk.encode({ digest, offset: at, data, totalSize: total, last });
      this.nc.publish(reply, message);
      if (last && at === 0) this.replies.set(digest, message);
      at += size;
      unflushed += size;
      pending = [];
      size = 0;
      if (unflushed >= FLUSH_EVERY_BYTES) {
        unflushed = 0;
        await this.nc.flush();
      }
    };
    for await (const part of obj.data) {
      let b = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      const skipped = Math.min(skip, b.length);
      b = b.subarray(skipped);
      skip -= skipped;
      while (b.length > 0) {
        const n = Math.min(b.length, this.chunkBytes - size);
        pending.push(b.subarray(0, n));
        size += n;
        b = b.subarray(n);
        if (size === this.chunkBytes) await publish(false);
      }
    }
    const failed = await obj.error;
    if (failed)
      throw new Error(`bundle ${digest}: reading object store ${NATS.bundleBucket} failed: ${failed.message}`);
    await publish(true);
  }
}

/**
 * The hub's JetStream assets, created on first use and left as they are after: the desired-state KV
 * bucket, the bundle object store, and the reports stream with the hub's durable consumer.
 */
export async function openJetStream(
  nc: NatsConnection,
): Promise<{ js: JetStreamClient; kv: KV; objects: ObjectStore }> {
  const js = jetstream(nc);
  const kv = await new Kvm(js).create(NATS.desiredBucket, { history: 1 });
  const objects = await new Objm(js).create(NATS.bundleBucket);
  await ensureReportStream(await jetstreamManager(nc));
  return { js, kv, objects };
}

/** The reports stream and the hub's durable consumer; created once, left as they are after. */
async function ensureReportStream(jsm: Awaited<ReturnType<typeof jetstreamManager>>): Promise<void> {
  const stream = {
    name: NATS.reportStream,
    subjects: ['flotilla.report.*.*'],
    // A report is folded once by the hub and is worthless after: work-queue retention drops it on ack.
    retention: RetentionPolicy.Workqueue,
    max_age: 24 * 3600 * 1e9,
    duplicate_window: 120 * 1e9,
  };
  await jsm.streams.info(NATS.reportStream).catch(() => jsm.streams.add(stream));
  await jsm.consumers.info(NATS.reportStream, NATS.hubConsumer).catch(() =>
    jsm.consumers.add(NATS.reportStream, {
      durable_name: NATS.hubConsumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30 * 1e9,
      max_ack_pending: 10_000,
    }),
  );
}
