import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { Store } from '../store/index.js';
import type { NatsAgentAuthority } from './nats-server.js';

export interface Revoker {
  /** Voids the NATS users of clusters the store no longer trusts (revoked, deleted), then pushes (or retries a failed push). */
  sweep(): Promise<void>;
  /**
   * Hands the servers the account JWT with the current revocations. Pushes run one at a time and
   * calls made during one share the next: resolves once a push begun after the call went through.
   */
  push(): Promise<void>;
  stop(): Promise<void>;
}

export interface RevokerOptions {
  servers: string | string[];
  connectOptions?: Partial<NodeConnectionOptions>;
  authority: NatsAgentAuthority;
  store: Store;
  sweepMs?: number;
  onError?: (err: unknown, context: Record<string, unknown>) => void;
  /** Clusters whose NATS users a sweep found untrusted by the store (revoked or removed) and voided. */
  onVoided?: (clusters: string[]) => void;
}

/**
 * Keeps the NATS servers' view of revoked agent users in step with the store, through a system-account
 * connection: at start and after every reconnect (a restarted server preloads an older account JWT),
 * after each registration (rotation), and on a sweep: periodically, and at once when the hub refuses
 * a credential on some cluster's subject. Every push carries every revocation, so a burst of
 * registrations needs one or two pushes, not one each (each one signs the account JWT, and a pile of
 * them timed out while the hub was busy registering); one that failed is made again by the sweep.
 */
export async function startRevoker(o: RevokerOptions): Promise<Revoker> {
  const sys = await connect({
    servers: o.servers,
    name: 'flotilla-hub-system',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    ...o.connectOptions,
    ...o.authority.systemConnectOptions(),
  });
  const pushNow = async () => {
    const u = o.authority.accountUpdate();
    const m = await sys.request(u.subject, u.jwt, { timeout: 5000 });
    const reply = m.json<{ data?: { code?: number } }>();
    if (reply.data?.code !== 200) {
      throw new Error(`nats-server did not take the hub's account update: ${m.string()}; check its operator`);
    }
  };
  /** True while a revocation has not reached the servers (a push asked for, or one that failed). */
  let owed = false;
  let pushing: Promise<void> | undefined;
  const push = (): Promise<void> => {
    owed = true;
    pushing ??= (async () => {
      try {
        while (owed) {
          owed = false;
          await pushNow().catch((err: unknown) => {
            owed = true;
            throw err;
          });
        }
      } finally {
        pushing = undefined;
      }
    })();
    return pushing;
  };
  const sweep = async () => {
    const gone = o.authority.issuedClusters().filter((name) => {
      const c = o.store.clusters.get(name);
      return !c || c.revokedAt !== undefined || !c.credentialHash;
    });
    if (o.authority.revokeClusters(gone)) {
      o.onVoided?.(gone);
      owed = true;
    }
    if (owed) await push();
  };
  const report = (what: string) => (err: unknown) => o.onError?.(err, { what });
  await push();
  const timer = setInterval(() => void sweep().catch(report('revocationSweep')), o.sweepMs ?? 10_000);
  timer.unref();
  void (async () => {
    for await (const s of sys.status()) if (s.type === 'reconnect') await push().catch(report('revocationPush'));
  })();
  return {
    sweep,
    push,
    async stop() {
      clearInterval(timer);
      await sys.close();
    },
  };
}
