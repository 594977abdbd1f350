import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface Registry {
  /** Per cluster, the NATS user keys the hub signed a JWT for and that are still good. */
  users: Record<string, string[]>;
  /** User key -> unix seconds: the key's JWTs issued up to then are void (the account JWT's revocations). */
  revoked: Record<string, number>;
}

/**
 * Which NATS user keys belong to which cluster, and which are revoked. A registration rotates: the
 * cluster's older keys are revoked. A revoked or deleted cluster loses all of its keys. Kept in a
 * file (0600) so that a restarted hub pushes the same revocations to the NATS servers.
 */
export class NatsUserRegistry {
  private readonly r: Registry = { users: {}, revoked: {} };

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      try {
        Object.assign(this.r, JSON.parse(readFileSync(file, 'utf8')) as Registry);
      } catch (err) {
        throw new Error(`${file} is not the hub's NATS user registry (JSON); restore it or remove it`, { cause: err });
      }
    }
  }

  /** Records a cluster's new user key, revoking the keys it held before. */
  issue(cluster: string, userKey: string, now = Date.now()): void {
    for (const old of this.r.users[cluster] ?? []) if (old !== userKey) this.r.revoked[old] = seconds(now);
    this.r.users[cluster] = [userKey];
    delete this.r.revoked[userKey];
    this.save();
  }

  /** Revokes every key of these clusters; true when anything changed. */
  revokeClusters(clusters: readonly string[], now = Date.now()): boolean {
    let changed = false;
    for (const c of clusters) {
      for (const key of this.r.users[c] ?? []) {
        this.r.revoked[key] = seconds(now);
        changed = true;
      }
      delete this.r.users[c];
    }
    if (changed) this.save();
    return changed;
  }

  /** Whether the key was ever signed for (held now, or revoked): a registration must bring a new one. */
  known(userKey: string): boolean {
    return userKey in this.r.revoked || Object.values(this.r.users).some((keys) => keys.includes(userKey));
  }

  issuedClusters(): string[] {
    return Object.keys(this.r.users).sort();
  }

  revocations(): Record<string, number> {
    return { ...this.r.revoked };
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.r, null, 2), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
  }
}

// A JWT issued in the same second as its revocation is void too (NATS compares issued-at <= revoked-at).
const seconds = (ms: number) => Math.floor(ms / 1000);
