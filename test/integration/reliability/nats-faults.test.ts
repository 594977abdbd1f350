import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSession } from '@flotilla/agent';
import { bundle as hubBundle, protocol, store as hubStore } from '@flotilla/hub';
import { NATS, agentSubject, reportSubject } from '@flotilla/proto/runtime';
import { MemoryCluster } from '../../harness/memory-cluster.js';
import { waitFor } from '../../harness/wait.js';
import { natsFixture, natsJwtSetup, type NatsFixtureOptions } from '../../harness/transports.js';

const OUTAGE_MS = Number(process.env.FLOTILLA_NATS_OUTAGE_MS ?? 30_000);

const bundleOf = (name: string) =>
  hubBundle.canonicalize([{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: name } } }]);

/** One hub and one agent on the NATS transport, with real nats-server and SQLite. */
function world(secure: NatsFixtureOptions['secure']) {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-nats-faults-'));
  const fx = natsFixture({ dir, ...(secure ? { secure } : {}) });
  const sink = new MemoryCluster();
  const w = {
    dir,
    fx,
    sink,
    store: undefined as unknown as hubStore.Store,
    session: undefined as AgentSession | undefined,
    running: undefined as Promise<void> | undefined,
    desire(name: string) {
      const b = bundleOf(name);
      w.store.bundles.put({ digest: b.digest, content: b.bytes, objectCount: 1 });
      w.store.deployments.setDesired({ cluster: 'alpha', target: 'web', environment: 'dev', bundle: b.digest });
      return b.digest;
    },
    state: () => w.store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })?.state,
    async start() {
      w.store = hubStore.openStore(join(dir, 'hub.db'));
      w.store.repos.put({ name: 'config', url: 'http://git.invalid/config.git', pollIntervalSeconds: 60 });
      w.store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', selector: 'env=dev' });
      w.store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
      await fx.startHub(w.store, { heartbeatSeconds: 1 });
      const { token } = protocol.mintRegistrationToken(w.store, { cluster: 'alpha', labels: { env: 'dev' } });
      w.session = fx.agent({ cluster: 'alpha', dir: join(dir, 'agent'), sink, token });
      w.running = w.session.run();
      await waitFor(() => w.store.clusters.get('alpha')?.credentialHash, {
        what: 'alpha registered',
        timeoutMs: 20_000,
      });
    },
    async stop() {
      await w.session?.stop();
      await w.running;
      await fx.stop();
      w.store?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return w;
}

describe('NATS faults and hostile messages (real nats-server)', () => {
  describe('nats-server stopped', () => {
    const w = world(natsJwtSetup);
    beforeAll(() => w.start());
    afterAll(() => w.stop());

    it(`for ${OUTAGE_MS / 1000} s: the agent keeps what it applied; a change made meanwhile arrives after, Ready`, async () => {
      const v1 = w.desire('v1');
      await w.fx.notify('alpha');
      await expect.poll(() => w.sink.applied.get('dev/web')?.digest, { timeout: 20_000 }).toBe(v1);
      await expect.poll(w.state, { timeout: 20_000 }).toBe('Ready');

      // Checked at the very end of the outage, with the server still down: once it is back, the
      // agent may reconnect and apply v2 before this test's next line runs.
      let heldAtEnd: string | undefined;
      const outage = w.fx.nats.restart(OUTAGE_MS, () => {
        heldAtEnd = w.sink.applied.get('dev/web')?.digest;
      });
      await new Promise((r) => setTimeout(r, 1000));
      // A commit lands while NATS is down: the hub records it; it cannot tell the agent yet.
      const v2 = w.desire('v2');
      await w.fx.notify('alpha').catch(() => undefined);
      expect(w.sink.applied.get('dev/web')?.digest).toBe(v1);
      await outage;
      expect(heldAtEnd).toBe(v1);
      await expect
        .poll(
          async () => {
            await w.fx.notify('alpha').catch(() => undefined);
            return w.sink.applied.get('dev/web')?.digest;
          },
          { timeout: 60_000, interval: 1000 },
        )
        .toBe(v2);
      await expect.poll(w.state, { timeout: 30_000 }).toBe('Ready');
      // Delivered at least once, applied once per digest.
      expect(w.sink.received.filter((b) => b.digest === v2)).toHaveLength(1);
    });
  });

  describe('malformed and oversized messages', () => {
    // No NATS auth: anyone on the network may publish, so the hub's own checks are what stands.
    const w = world(undefined);
    beforeAll(() => w.start());
    afterAll(() => w.stop());

    it('are refused or dropped; the hub keeps serving the real agent', async () => {
      const v1 = w.desire('v1');
      await w.fx.notify('alpha');
      await expect.poll(w.state, { timeout: 20_000 }).toBe('Ready');
      const before = w.store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' });

      const nc = await connect({ servers: w.fx.nats.url });
      try {
        const garbage = new Uint8Array([0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]);
        const big = new Uint8Array(900 * 1024).fill(0x5a);
        for (const body of [garbage, big, new TextEncoder().encode('{"status":{"state":"Ready"}}')]) {
          // No credential, undecodable bytes: a request gets an error answer (or none), never a crash.
          const reply = await nc
            .request(agentSubject('alpha', 'hello'), body, { timeout: 3000 })
            .then((m) => m.headers?.get('Flotilla-Error') ?? 'answered')
            .catch((err: Error) => `no answer: ${err.message}`);
          expect(reply).not.toBe('answered');
          nc.publish(reportSubject('alpha', 'status'), body);
          nc.publish(reportSubject('alpha', 'drift'), body);
        }
        await nc.flush();
      } finally {
        await nc.close();
      }
      // Nothing forged reached the store.
      expect(w.store.events.list({ kind: 'DriftDetected' })).toEqual([]);
      expect(w.store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })).toMatchObject({
        generation: before?.generation,
        state: 'Ready',
      });
      // And the real agent is still served: the next change rolls out.
      const v2 = w.desire('v2');
      await w.fx.notify('alpha');
      await expect.poll(() => w.sink.applied.get('dev/web')?.digest, { timeout: 20_000 }).toBe(v2);
      await expect.poll(w.state, { timeout: 20_000 }).toBe('Ready');
      expect(v1).not.toBe(v2);
    });
  });

  describe('a cluster revoked while its agent is connected', () => {
    // No NATS auth, so nats-server does not cut the agent off: the hub's own check is what refuses it.
    const w = world(undefined);
    beforeAll(() => w.start());
    afterAll(() => w.stop());

    it('has its next report refused at once, though its credential was good a moment before', async () => {
      w.desire('v1');
      await w.fx.notify('alpha');
      await expect.poll(w.state, { timeout: 20_000 }).toBe('Ready');
      const report = (message: string) =>
        w.session!.report({ deployment: 'dev/web', state: 'Ready', message, objects: [], drift: [], observedAt: 1 });
      const message = () => w.store.deployments.get({ cluster: 'alpha', target: 'web', environment: 'dev' })?.message;
      report('while trusted');
      await expect.poll(message, { timeout: 10_000 }).toBe('while trusted');

      // What the hub's API does on POST /clusters/alpha/revoke.
      w.store.clusters.revoke('alpha');
      w.fx.disconnect('alpha');
      const nc = await connect({ servers: w.fx.nats.url });
      try {
        const jsm = await jetstreamManager(nc);
        const stored = (await jsm.streams.info(NATS.reportStream)).state.last_seq;
        report('after the revocation');
        // Stored by the stream, then taken by the hub (acked or refused) without reaching the store.
        await expect
          .poll(
            async () => {
              const c = await jsm.consumers.info(NATS.reportStream, NATS.hubConsumer);
              return c.ack_floor.stream_seq > stored && c.num_ack_pending === 0 && c.num_pending === 0;
            },
            { timeout: 10_000 },
          )
          .toBe(true);
      } finally {
        await nc.close();
      }
      expect(message()).toBe('while trusted');
    });
  });
});
