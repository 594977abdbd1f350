import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { NatsHubConnection, type AgentSession } from '@flotilla/agent';
import { bundle as hubBundle, protocol, store as hubStore } from '@flotilla/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCluster } from '../harness/memory-cluster.js';
import { natsFixture, natsJwtSetup } from '../harness/transports.js';
import { waitFor } from '../harness/wait.js';

/**
 * What the NATS server itself enforces in JWT mode (the hub's own checks are in the conformance
 * suite): an agent's user reaches only its own cluster's subjects and no JetStream API.
 */
describe('nats: per-cluster isolation enforced by nats-server (JWT mode)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-nats-iso-'));
  const fx = natsFixture({ dir, secure: natsJwtSetup });
  let store: hubStore.Store;
  const sessions: { session: AgentSession; running: Promise<void> }[] = [];
  const conns: NatsConnection[] = [];
  const web = hubBundle.canonicalize([{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } } }]);

  const connectWith = async (credsFile: string, inboxPrefix: string) => {
    const nc = await connect({
      servers: fx.nats.url,
      authenticator: credsAuthenticator(readFileSync(credsFile)),
      inboxPrefix,
      maxReconnectAttempts: 0,
    });
    conns.push(nc);
    return nc;
  };
  /** The server's answer to a subscription: closed with a permissions violation, or still open. */
  const subscribeOutcome = async (nc: NatsConnection, subject: string): Promise<string> => {
    const sub = nc.subscribe(subject);
    const closed = sub.closed.then((err) => String(err ?? 'closed'));
    const open = new Promise<string>((r) => setTimeout(() => r('open'), 1500));
    return Promise.race([closed, open]);
  };
  /** Whether the server lets these creds in right now. */
  const connectOutcome = (creds: Uint8Array) =>
    connect({
      servers: fx.nats.url,
      authenticator: credsAuthenticator(creds),
      maxReconnectAttempts: 0,
      reconnect: false,
    })
      .then(async (nc) => {
        await nc.close();
        return 'connected';
      })
      .catch((err: unknown) => String(err));
  const requestOutcome = (nc: NatsConnection, subject: string) =>
    nc.request(subject, new Uint8Array(), { timeout: 1500 }).then(
      (m) => `answered: ${m.string()}`,
      (err: unknown) => String(err),
    );

  beforeAll(async () => {
    store = hubStore.openStore(join(dir, 'hub.db'));
    store.bundles.put({ digest: web.digest, content: web.bytes, objectCount: 1 });
    store.repos.put({ name: 'config', url: 'http://git.invalid/config.git', pollIntervalSeconds: 60 });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', selector: 'env=dev' });
    store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
    await fx.startHub(store);
    for (const cluster of ['alpha', 'beta']) {
      const { token } = protocol.mintRegistrationToken(store, { cluster, labels: { env: 'dev' } });
      const sink = new MemoryCluster();
      const session = fx.agent({ cluster, dir: join(dir, cluster), sink, token });
      sessions.push({ session, running: session.run() });
    }
    await waitFor(() => store.clusters.list().length === 2, { what: 'alpha and beta registered', timeoutMs: 15_000 });
    store.deployments.setDesired({
      cluster: 'alpha',
      target: 'web',
      environment: 'dev',
      bundle: web.digest,
      options: {},
    });
    await fx.notify('alpha');
    await waitFor(() => existsSync(join(dir, 'beta', 'nats.creds')), { what: "beta's NATS creds", timeoutMs: 15_000 });
  });

  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => undefined);
    for (const s of sessions) await s.session.stop();
    await fx.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a connection without credentials', async () => {
    await expect(connect({ servers: fx.nats.url, maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(
      /Authorization Violation/i,
    );
  });

  it("does not let beta's user read alpha's desired state, replies or bundle chunks", async () => {
    const beta = await connectWith(join(dir, 'beta', 'nats.creds'), '_INBOX.beta');
    expect(await subscribeOutcome(beta, '$KV.flotilla-desired.beta')).toBe('open');
    for (const subject of ['$KV.flotilla-desired.alpha', '_INBOX.alpha.>', '$O.flotilla-bundles.>', '>']) {
      expect(
        await subscribeOutcome(await connectWith(join(dir, 'beta', 'nats.creds'), '_INBOX.beta'), subject),
      ).toMatch(/permissions violation/i);
    }
  });

  it("does not let beta's user publish on alpha's subjects nor use the JetStream API", async () => {
    const creds = join(dir, 'beta', 'nats.creds');
    expect(await requestOutcome(await connectWith(creds, '_INBOX.beta'), 'flotilla.agent.alpha.fetch')).toMatch(
      /permissions violation/i,
    );
    expect(
      await requestOutcome(await connectWith(creds, '_INBOX.beta'), '$JS.API.STREAM.MSG.GET.OBJ_flotilla-bundles'),
    ).toMatch(/permissions violation/i);
    await expect(jetstreamManager(await connectWith(creds, '_INBOX.beta'))).rejects.toThrow(/permissions violation/i);
  });

  it('the register-only user can only register, and reads no credential from another registration', async () => {
    const creds = join(dir, 'nats-auth', 'register.creds');
    const snoop = await connectWith(creds, '_INBOX.register');
    expect(await subscribeOutcome(await connectWith(creds, '_INBOX.register'), '>')).toMatch(/permissions violation/i);
    expect(await requestOutcome(await connectWith(creds, '_INBOX.register'), 'flotilla.agent.alpha.hello')).toMatch(
      /permissions violation/i,
    );
    const seen: string[] = [];
    snoop.subscribe('_INBOX.register.>', {
      callback: (_e, m) => {
        seen.push(Buffer.from(m.data).toString('latin1'));
      },
    });
    await snoop.flush();
    const { token } = protocol.mintRegistrationToken(store, { cluster: 'gamma' });
    const gamma = fx.agent({ cluster: 'gamma', dir: join(dir, 'gamma'), sink: new MemoryCluster(), token });
    const credential = await gamma.credential();
    expect(credential).toMatch(/^flagt_/);
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen.join('')).not.toContain(credential);
    expect(seen.join('')).not.toContain('flagt_');
  });

  it('a re-registration voids the NATS user it replaces', async () => {
    const before = readFileSync(join(dir, 'gamma', 'nats.creds'));
    const { token } = protocol.mintRegistrationToken(store, { cluster: 'gamma' });
    const again = fx.agent({ cluster: 'gamma', dir: join(dir, 'gamma-2'), sink: new MemoryCluster(), token });
    await again.credential();
    await expect.poll(() => connectOutcome(before), { timeout: 10_000 }).toMatch(/Authorization Violation/i);
    expect(await connectOutcome(readFileSync(join(dir, 'gamma-2', 'nats.creds')))).toBe('connected');
  });

  // The hub's account pushes run one at a time, those asked for meanwhile sharing the next: none may be lost.
  it('re-registrations of many clusters at once void every user they replace', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `burst-${i}`);
    const registerAll = (round: number) =>
      Promise.all(
        names.map((cluster) => {
          const { token } = protocol.mintRegistrationToken(store, { cluster });
          const agentDir = join(dir, `${cluster}-${round}`);
          return fx.agent({ cluster, dir: agentDir, sink: new MemoryCluster(), token }).credential();
        }),
      );
    await registerAll(1);
    const replaced = names.map((c) => readFileSync(join(dir, `${c}-1`, 'nats.creds')));
    await registerAll(2);
    for (const creds of replaced) {
      await expect.poll(() => connectOutcome(creds), { timeout: 10_000 }).toMatch(/Authorization Violation/i);
    }
    expect(await connectOutcome(readFileSync(join(dir, `${names[0]}-2`, 'nats.creds')))).toBe('connected');
  });

  it("a revoked cluster's NATS user is disconnected and refused by the server", async () => {
    const creds = readFileSync(join(dir, 'beta', 'nats.creds'));
    const live = await connectWith(join(dir, 'beta', 'nats.creds'), '_INBOX.beta');
    store.clusters.revoke('beta');
    // The hub's sweep notices within its period; a refused hello makes it look at once.
    await expect.poll(() => live.isClosed(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => connectOutcome(creds), { timeout: 20_000 }).toMatch(/Authorization Violation/i);
    expect(await connectOutcome(readFileSync(join(dir, 'alpha', 'nats.creds')))).toBe('connected');
  });

  it('an agent without the register-only credentials is told which file it needs', async () => {
    const { token } = protocol.mintRegistrationToken(store, { cluster: 'delta' });
    const delta = new NatsHubConnection(
      { servers: fx.nats.url, clusterName: 'delta', credentialFile: join(dir, 'delta', 'credential'), token },
      new MemoryCluster(),
    );
    await expect(delta.credential()).rejects.toThrow(/NATS_REGISTER_REFUSED: .*--nats-register-creds/);
  });
});
