import type { JsMsg } from '@nats-io/jetstream';
import { createCurve } from '@nats-io/nkeys';
import { connect, headers, type Msg, type MsgHdrs, type NodeConnectionOptions } from '@nats-io/transport-node';
import { isFlotillaError, shown, type HubMessage } from '@flotilla/proto';
import { NATS, clusterToken, desiredKey, desiredSubject, natsCodecs, parseAgentSubject } from '@flotilla/proto/runtime';
import type { Store } from '../store/index.js';
import { AgentProtocol, type AgentProtocolOptions, type Announcement } from './agent-protocol.js';
import { BundleObjects, openJetStream } from './nats-bundles.js';
import { startRevoker } from './nats-revocation.js';
import { CredentialCache } from './credential-cache.js';
import { AgentAuthError, register, type Registered } from './registration.js';
import { checkRegisterSize } from './request-limits.js';

/** Signs and voids per-cluster NATS users (see nats-auth.ts): present when nats-server runs in JWT (operator) mode. */
export interface NatsAgentAuthority {
  /** A user JWT confined to the cluster's subjects; the cluster's older users are voided. */
  mintAgentJwt(cluster: string, userPublicKey: string): string;
  /**
   * Whether this user key was signed for before. A registration must bring a new one: voiding is per
   * key, so a JWT issued earlier for a reused key would keep its session when the new one is issued.
   */
  userKeyKnown(userPublicKey: string): boolean;
  /** Voids every NATS user of these clusters; true when anything changed. */
  revokeClusters(clusters: readonly string[]): boolean;
  /** Clusters that hold NATS users. */
  issuedClusters(): string[];
  /** The system-account request carrying the account JWT with the current revocations. */
  accountUpdate(): { subject: string; jwt: string };
  systemConnectOptions(): Partial<NodeConnectionOptions>;
}

export interface NatsServerOptions {
  store: Store;
  /** nats://host:port, or several for a NATS cluster. */
  servers: string | string[];
  /** How the hub itself connects (its authenticator in JWT mode). */
  connectOptions?: Partial<NodeConnectionOptions>;
  authority?: NatsAgentAuthority;
  /** How often the hub looks for revoked clusters whose NATS users are still good (default 10 s). */
  revocationSweepMs?: number;
  heartbeatSeconds?: number;
  hubVersion?: string;
  /** Bytes per fetch reply; under the server's max_payload (1 MiB by default). */
  chunkBytes?: number;
  onRegistered?: (r: Registered) => void;
  /** An agent reported another Kubernetes version in its hello: its placements need a reconcile. */
  onKubernetesVersionChanged?: (cluster: string) => void;
  /** Something went wrong that no agent is waiting to hear about (a report that could not be folded). */
  onError?: (err: unknown, context: Record<string, unknown>) => void;
  /** Size and rate limits on what agents report (report-limits.ts). */
  reportLimits?: AgentProtocolOptions['reportLimits'];
}

export interface NatsHub {
  /** The desired state changed: each cluster's KV entry is rewritten if its generation moved. */
  notify(clusters?: string | readonly string[]): Promise<void>;
  /**
   * Clusters heard live (hello, heartbeat, fetch) by this hub within three heartbeat windows. Reports
   * do not count: the stream may hold them from before a hub restart.
   */
  connectedClusters(): string[];
  /** The cluster was revoked or removed: its messages are refused from now on, and its NATS users voided. */
  disconnect(cluster: string): void;
  stop(): Promise<void>;
}

const enc = new TextEncoder();

function errorReply(err: unknown): { body: Uint8Array; hdrs: MsgHdrs } {
  const hdrs = headers();
  const code = isFlotillaError(err) ? err.code : 'INTERNAL';
  hdrs.set(NATS.errorHeader, code);
  return { body: enc.encode(err instanceof Error ? err.message : String(err)), hdrs };
}

function respondError(m: Msg, err: unknown): void {
  const { body, hdrs } = errorReply(err);
  m.respond(body, { headers: hdrs });
}

/**
 * The hub's side over NATS JetStream. Desired state per cluster lives in the KV bucket (the agent's
 * subscription to its own key is the push, and the bucket keeps it across hub restarts); bundle bytes
 * live in the object store by digest and reach an agent only through the hub, which checks the digest
 * is desired on the asking cluster; status and drift arrive on a stream with per-cluster subjects
 * and are acked once folded (at-least-once; folding is idempotent). Every agent message carries its
 * credential, checked like gRPC's, and the subject's cluster must be the credential's.
 */
export async function startNatsServer(o: NatsServerOptions): Promise<NatsHub> {
  const { store } = o;
  const codecs = natsCodecs();
  const protocol = new AgentProtocol(o);
  const chunkBytes = o.chunkBytes ?? 512 * 1024;
  const xkey = createCurve();
  const seen = new Map<string, number>();
  const nc = await connect({
    servers: o.servers,
    name: 'flotilla-hub',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    ...o.connectOptions,
  });
  const { js, kv, objects } = await openJetStream(nc);
  const credentials = new CredentialCache(store);
  const revoker = o.authority
    ? await startRevoker({
        servers: o.servers,
        ...(o.connectOptions ? { connectOptions: o.connectOptions } : {}),
        authority: o.authority,
        store,
        ...(o.revocationSweepMs ? { sweepMs: o.revocationSweepMs } : {}),
        ...(o.onError ? { onError: o.onError } : {}),
        // Found by the sweep (revoked or removed around the hub): refused from now on.
        onVoided: (clusters) => clusters.forEach((c) => credentials.forget(c)),
      })
    : undefined;
  const written = new Map<string, string>();
  let lastStamp = 0;
  const stamp = () => (lastStamp = Math.max(Date.now(), lastStamp + 1));
  const bundles = new BundleObjects(objects, nc, chunkBytes);

  /**
   * The cluster a message's credential belongs to; refuses a credential used on another cluster's
   * subject. Checked against the store on `recheck` (a hello: every connection starts with one), else
   * as cached (see CredentialCache: a report must not cost a store query).
   */
  const authenticated = (m: { subject: string; headers?: MsgHdrs }, recheck = false): string => {
    const auth = m.headers?.get(NATS.authHeader) ?? '';
    let cluster: string;
    try {
      cluster = credentials.cluster(auth.startsWith('Bearer ') ? auth.slice(7) : undefined, recheck);
    } catch (err) {
      // Someone on a cluster's subject holds a refused credential: void that cluster's NATS users if it is revoked.
      void revoker?.sweep().catch((e: unknown) => o.onError?.(e, { what: 'revocationSweep' }));
      throw err;
    }
    const token = parseAgentSubject(m.subject)?.token;
    if (token !== clusterToken(cluster)) {
      throw new AgentAuthError(
        'CREDENTIAL_UNKNOWN',
        `the credential of cluster ${cluster} was presented on ${m.subject}, another cluster's subject`,
      );
    }
    return cluster;
  };
  /** A live request of the cluster's agent, answered now: it is connected. */
  const heard = (cluster: string): string => {
    seen.set(cluster, Date.now());
    return cluster;
  };

  const onRegister = (m: Msg) => {
    try {
      // Anyone holding the register-only user may publish here: nothing larger than a registration is decoded.
      checkRegisterSize(m.data.length);
      const r = codecs.registerRequest.decode(m.data);
      const userKey = m.headers?.get(NATS.userKeyHeader) ?? '';
      const agentXkey = m.headers?.get(NATS.xkeyHeader) ?? '';
      if (!agentXkey) {
        throw new AgentAuthError(
          'CREDENTIAL_MISSING',
          `registration of ${shown(r.clusterName)}: no ${NATS.xkeyHeader} header to seal the credential to; upgrade the agent`,
        );
      }
      // Checked before the token is spent: a bad key must not cost the agent its token.
      if (o.authority && !/^U[A-Z2-7]{55}$/.test(userKey)) {
        throw new AgentAuthError(
          'CREDENTIAL_MISSING',
          `registration of ${shown(r.clusterName)}: ${NATS.userKeyHeader} ${shown(userKey)} is not an nkey user public key; this NATS server needs a per-cluster user`,
        );
      }
      if (o.authority?.userKeyKnown(userKey)) {
        throw new AgentAuthError(
          'CREDENTIAL_MISSING',
          `registration of ${shown(r.clusterName)}: NATS user key ${userKey} was issued before; generate a new key for each registration`,
        );
      }
      const registered = register(store, r);
      const { cluster, credential } = registered;
      // The cluster's earlier credential stopped working: no message may pass on what was cached of it.
      credentials.forget(cluster.name);
      const body = codecs.registerResponse.encode({
        clusterId: cluster.name,
        credential,
        labels: { ...cluster.labels },
        heartbeatSeconds: protocol.heartbeatSeconds,
      });
      const hdrs = headers();
      hdrs.set(NATS.hubXkeyHeader, xkey.getPublicKey());
      if (o.authority) hdrs.set(NATS.userJwtHeader, o.authority.mintAgentJwt(cluster.name, userKey));
      // Sealed: on a shared registration subject another registrant must not read the credential.
      m.respond(xkey.seal(body, agentXkey), { headers: hdrs });
      o.onRegistered?.(registered);
      // A registration rotates: the cluster's older NATS users were voided by mintAgentJwt.
      void revoker?.push().catch((e: unknown) => o.onError?.(e, { what: 'revocationPush' }));
    } catch (err) {
      respondError(m, err);
    }
  };

  const onHello = (m: Msg) => {
    try {
      const cluster = heard(authenticated(m, true));
      const hello = codecs.agent.decode(m.data).hello;
      if (!hello) throw new Error(`expected a hello on ${m.subject}`);
      // Stamped right at the (synchronous) read: stamps follow the order in which the store was read.
      const at = stamp();
      const { welcome, desired } = protocol.hello(cluster, hello);
      const hdrs = headers();
      hdrs.set(NATS.heartbeatHeader, String(welcome.heartbeatSeconds));
      hdrs.set(NATS.desiredAtHeader, String(at));
      if (welcome.hubVersion) hdrs.set(NATS.hubVersionHeader, welcome.hubVersion);
      if (welcome.statusBatches) hdrs.set(NATS.statusBatchesHeader, '1');
      m.respond(codecs.hub.encode({ desired }), { headers: hdrs });
    } catch (err) {
      respondError(m, err);
    }
  };

  const onHeartbeat = (m: Msg) => {
    try {
      const cluster = heard(authenticated(m));
      protocol.fold(cluster, codecs.agent.decode(m.data)).catch((err: unknown) => o.onError?.(err, { cluster }));
    } catch (err) {
      o.onError?.(err, { subject: m.subject });
    }
  };

  /** Bundle bytes to the asker's reply subject in chunks, from the object store; `offset` resumes. */
  const onFetch = async (m: Msg) => {
    if (!m.reply) return;
    try {
      const cluster = heard(authenticated(m));
      const req = codecs.fetch.decode(m.data);
      protocol.authorizeFetch(cluster, req.digest);
      await bundles.ensure(req.digest, () => protocol.bundleBytes(cluster, req.digest));
      await bundles.send(m.reply, req.digest, Number(req.offset));
    } catch (err) {
      const { body, hdrs } = errorReply(err);
      nc.publish(m.reply, body, { headers: hdrs });
    }
  };

  /** Acked once folded (a batch of reports is one commit); a refused or unusable one is dropped, a failed commit redelivered. */
  const onReport = (m: JsMsg) => {
    let folding: Promise<void>;
    try {
      folding = protocol.fold(authenticated(m), codecs.agent.decode(m.data));
    } catch (err) {
      o.onError?.(err, { subject: m.subject });
      return m.term();
    }
    folding.then(
      () => m.ack(),
      (err: unknown) => {
        o.onError?.(err, { subject: m.subject });
        if (isFlotillaError(err)) m.term();
        else m.nak(1000);
      },
    );
  };

  const subs = [
    nc.subscribe(NATS.register, { queue: NATS.hubQueue, callback: (_e, m) => onRegister(m) }),
    nc.subscribe('flotilla.agent.*.hello', { queue: NATS.hubQueue, callback: (_e, m) => onHello(m) }),
    nc.subscribe('flotilla.agent.*.heartbeat', { queue: NATS.hubQueue, callback: (_e, m) => onHeartbeat(m) }),
    nc.subscribe('flotilla.agent.*.fetch', {
      queue: NATS.hubQueue,
      callback: (_e, m) => void onFetch(m).catch((err: unknown) => o.onError?.(err, { subject: m.subject })),
    }),
  ];
  const consumer = await js.consumers.get(NATS.reportStream, NATS.hubConsumer);
  const reports = await consumer.consume({ callback: onReport });

  /** Rewrites one cluster's KV entry when its generation moved; the first time, compares with what the bucket holds. */
  const publishDesired = async (cluster: string, d: Announcement) => {
    const at = stamp();
    const key = desiredKey(cluster);
    if (!written.has(key)) {
      const entry = await kv.get(key);
      if (entry && entry.operation === 'PUT' && entry.length > 0) {
        written.set(key, String(codecs.hub.decode(entry.value).desired?.generation ?? ''));
      }
    }
    if (written.get(key) === d.generation) return;
    for (const b of d.message.deployments ?? [])
      await bundles.ensure(b.digest!, () => protocol.bundleBytes(cluster, b.digest!));
    const msg: HubMessage = { desired: d.message };
    // A KV put with a header: the agent's subscription to its key gets the stamp along with the value.
    const hdrs = headers();
    hdrs.set(NATS.desiredAtHeader, String(at));
    await js.publish(desiredSubject(cluster), codecs.hub.encode(msg), { headers: hdrs });
    written.set(key, d.generation);
  };

  // One notify at a time: two overlapping writes of a cluster's key could land older-last.
  let notifying = Promise.resolve();
  const publishAll = async (clusters?: string | readonly string[]) => {
    const names =
      clusters === undefined
        ? store.clusters.list().map((c) => c.name)
        : typeof clusters === 'string'
          ? [clusters]
          : clusters;
    const desired = protocol.desiredMany(names);
    for (const [name, d] of desired) {
      try {
        await publishDesired(name, d);
      } catch (err) {
        o.onError?.(err, { cluster: name, what: 'publishDesired' });
      }
    }
  };
  let unsubscribe = (): void => undefined;
  const hub: NatsHub = {
    notify(clusters) {
      const run = notifying.then(() => publishAll(clusters));
      notifying = run.catch(() => undefined);
      return run;
    },
    connectedClusters() {
      const since = Date.now() - 3 * protocol.heartbeatSeconds * 1000;
      return [...seen]
        .filter(([, t]) => t >= since)
        .map(([c]) => c)
        .sort();
    },
    disconnect(cluster) {
      credentials.forget(cluster);
      void revoker?.sweep().catch((e: unknown) => o.onError?.(e, { what: 'revocationSweep' }));
    },
    async stop() {
      unsubscribe();
      await revoker?.stop();
      reports.stop();
      for (const s of subs) s.unsubscribe();
      await nc.drain().catch(() => nc.close());
    },
  };
  // What the store says changed is written to those clusters' keys: no one relays it.
  unsubscribe = store.desiredChanges.subscribe((clusters) => void hub.notify(clusters).catch(() => undefined));
  await hub.notify();
  // A KV write lost while the NATS server was away is written again once the hub is back.
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') await hub.notify();
  })();
  return hub;
}
