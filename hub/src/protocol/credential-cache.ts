import type { Store } from '../store/index.js';
import { authenticate, hashSecret } from './registration.js';

export interface CredentialCacheOptions {
  /** How long a check stands before the store is asked again (default 30 s). */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Which cluster each agent credential belongs to, as last checked against the store. Over NATS every
 * agent message carries its credential (gRPC checks it once per stream); asking the store for each
 * status report was a quarter of the hub's CPU per report at 300 agents. Only credentials that were
 * good are kept, by hash as the store keeps them.
 *
 * A credential stops being good when its cluster is revoked, removed or registers again: the hub
 * `forget`s the cluster then, so its next message is checked against the store. A check older than
 * `maxAgeMs` is made again, which bounds how long a change made around the hub (another process
 * writing the database) goes unseen.
 */
export class CredentialCache {
  private readonly byHash = new Map<string, { cluster: string; checkedAt: number }>();
  private readonly byCluster = new Map<string, Set<string>>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    o: CredentialCacheOptions = {},
  ) {
    this.maxAgeMs = o.maxAgeMs ?? 30_000;
    this.now = o.now ?? Date.now;
  }

  /**
   * The cluster a credential belongs to; refuses unknown and revoked ones with `authenticate`'s
   * errors. `recheck` asks the store whatever is cached (a new connection's first message).
   */
  cluster(credential: string | undefined, recheck = false): string {
    const hash = credential ? hashSecret(credential) : undefined;
    const now = this.now();
    const hit = hash === undefined ? undefined : this.byHash.get(hash);
    if (hit && !recheck && now - hit.checkedAt < this.maxAgeMs) return hit.cluster;
    if (hit) this.drop(hash!, hit.cluster);
    const { name } = authenticate(this.store, credential);
    this.byHash.set(hash!, { cluster: name, checkedAt: now });
    const hashes = this.byCluster.get(name) ?? new Set<string>();
    this.byCluster.set(name, hashes.add(hash!));
    return name;
  }

  /** The cluster's credentials are checked against the store again (it was revoked, removed or registered). */
  forget(cluster: string): void {
    for (const hash of this.byCluster.get(cluster) ?? []) this.byHash.delete(hash);
    this.byCluster.delete(cluster);
  }

  private drop(hash: string, cluster: string): void {
    this.byHash.delete(hash);
    const hashes = this.byCluster.get(cluster);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.byCluster.delete(cluster);
  }
}
