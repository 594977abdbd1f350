import { createHash, randomBytes } from 'node:crypto';
import { checkClusterName, checkLabels, checkReportedFact, FlotillaError, shown } from '@flotilla/proto';
import type { Cluster, ClusterSighting, Store } from '../store/index.js';

/** Why a registration or an agent's credential was refused. Codes map to gRPC statuses at the edge. */
export class AgentAuthError extends FlotillaError {
  constructor(
    readonly code:
      | 'TOKEN_UNKNOWN'
      | 'TOKEN_EXPIRED'
      | 'TOKEN_USED'
      | 'TOKEN_CLUSTER_MISMATCH'
      | 'CREDENTIAL_UNKNOWN'
      | 'CREDENTIAL_REVOKED'
      | 'CREDENTIAL_MISSING'
      | 'CLIENT_CERT_MISSING'
      | 'CLIENT_CERT_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}

export const TOKEN_PREFIX = 'flreg_';
export const CREDENTIAL_PREFIX = 'flagt_';
const DEFAULT_TTL_SECONDS = 3600;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const newSecret = (prefix: string) => prefix + randomBytes(32).toString('base64url');

export interface MintOptions {
  cluster: string;
  labels?: Record<string, string>;
  ttlSeconds?: number;
  createdBy?: string;
  now?: Date;
  /** What the caller calls the name and labels, for errors (default `name`, `labels`; the CLI's flags). */
  fields?: { cluster: string; labels: string };
}

/**
 * A one-time registration token bound to a cluster name and labels; only its hash is stored. A new
 * cluster's name and every label are checked (proto names.ts, InvalidNameError); a cluster the hub
 * already holds keeps its name as it was accepted then.
 */
export function mintRegistrationToken(store: Store, o: MintOptions): { token: string; expiresAt: string } {
  if (!store.clusters.get(o.cluster)) checkClusterName(o.cluster, o.fields?.cluster ?? 'name');
  checkLabels(o.labels ?? {}, o.fields?.labels ?? 'labels');
  const token = newSecret(TOKEN_PREFIX);
  const now = o.now ?? new Date();
  const expiresAt = new Date(now.getTime() + (o.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000).toISOString();
  store.registrationTokens.put({
    tokenHash: hashSecret(token),
    clusterName: o.cluster,
    labels: o.labels ?? {},
    expiresAt,
    ...(o.createdBy ? { createdBy: o.createdBy } : {}),
  });
  return { token, expiresAt };
}

export interface RegisterInput {
  token: string;
  clusterName: string;
  /**
   * Labels the agent sent: never read. A cluster's labels come from the hub's API and its
   * registration token; an agent reports facts (versions), it does not choose where it belongs.
   */
  labels?: Record<string, string>;
  kubernetesVersion?: string;
  agentVersion?: string;
  /**
   * A random key the agent keeps across the retries of one registration. A retry whose first answer
   * was lost (the token is spent, the agent never got its credential) presents the same key and is
   * answered again with a fresh credential; without it, or with another key, a spent token is a replay.
   */
  retryKey?: string;
}

export interface Registered {
  cluster: Cluster;
  credential: string;
  /** True when this answered a retry of a registration that had already spent the token. */
  retried: boolean;
  /**
   * True when what decides the cluster's placements changed: a new cluster, other labels, a lifted
   * revocation or another Kubernetes version. Only then does the hub need to reconcile.
   */
  placementChanged: boolean;
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/**
 * Trades a registration token for a per-cluster credential (shown once, stored hashed). A token is
 * good once, before it expires, for the cluster it names; a retry presenting the key of the
 * registration that spent it is answered again (its earlier credential stops working). Registering an
 * existing cluster again rotates its credential (the old one stops working: the transport ends its
 * streams) and lifts a revocation. The cluster's labels are the token's (over those it has); the
 * labels in the request are ignored.
 */
export function register(store: Store, r: RegisterInput, now = new Date()): Registered {
  const hash = hashSecret(r.token);
  const keyHash = r.retryKey ? hashSecret(r.retryKey) : undefined;
  return store.transaction(() => {
    const t = store.registrationTokens.get(hash);
    if (!t) throw new AgentAuthError('TOKEN_UNKNOWN', 'registration token is not known to this hub; mint a new one');
    const retried = t.usedAt !== undefined && keyHash !== undefined && t.usedKeyHash === keyHash;
    if (t.usedAt && !retried) {
      throw new AgentAuthError(
        'TOKEN_USED',
        `registration token for cluster ${t.clusterName} was already used at ${t.usedAt} by another registration; ` +
          `mint a new one with: fleet clusters register ${t.clusterName}`,
      );
    }
    if (Date.parse(t.expiresAt) <= now.getTime()) {
      throw new AgentAuthError(
        'TOKEN_EXPIRED',
        `registration token for cluster ${t.clusterName} expired at ${t.expiresAt}`,
      );
    }
    if (r.clusterName && r.clusterName !== t.clusterName) {
      throw new AgentAuthError(
        'TOKEN_CLUSTER_MISMATCH',
        `registration token is for cluster ${t.clusterName}, not ${shown(r.clusterName)}`,
      );
    }
    // Checked before the token is spent. A token minted before names were checked cannot create a
    // cluster the rule refuses.
    const sighting = reportedFacts(r);
    const existing = store.clusters.get(t.clusterName);
    if (!existing) checkClusterName(t.clusterName, 'registration token cluster');
    checkLabels(t.labels, 'registration token labels');
    if (!retried) store.registrationTokens.markUsed(hash, keyHash);
    const credential = newSecret(CREDENTIAL_PREFIX);
    if (existing) {
      store.clusters.setCredential(t.clusterName, hashSecret(credential));
      const labels = { ...existing.labels, ...t.labels };
      if (!sameLabels(existing.labels, labels)) store.clusters.setLabels(t.clusterName, labels);
    } else {
      store.clusters.create({ name: t.clusterName, labels: t.labels, credentialHash: hashSecret(credential) });
    }
    const cluster = store.clusters.recordSeen(t.clusterName, sighting);
    const placementChanged =
      !existing ||
      existing.revokedAt !== undefined ||
      !sameLabels(existing.labels, cluster.labels) ||
      existing.kubernetesVersion !== cluster.kubernetesVersion;
    store.events.append({
      kind: 'ClusterRegistered',
      cluster: t.clusterName,
      ...(retried ? { payload: { retried: true } } : {}),
    });
    return { cluster, credential, retried, placementChanged };
  });
}

/**
 * What an agent says about itself, kept apart from the labels the hub gave it: the versions, each
 * held to a version's characters (they are shown in tables and reach `helm --kube-version`). A bad
 * one is refused (InvalidNameError), or with `drop` left out: a hello keeps the value stored before.
 */
export function reportedFacts(
  r: { kubernetesVersion?: string; agentVersion?: string },
  bad: 'refuse' | 'drop' = 'refuse',
): ClusterSighting {
  const out: ClusterSighting = {};
  for (const field of ['kubernetesVersion', 'agentVersion'] as const) {
    const value = r[field];
    if (!value) continue;
    try {
      out[field] = checkReportedFact(value, field);
    } catch (err) {
      if (bad === 'refuse') throw err;
    }
  }
  return out;
}

/** The cluster a credential belongs to; refuses unknown and revoked credentials. */
export function authenticate(store: Store, credential: string | undefined): { name: string } {
  if (!credential)
    throw new AgentAuthError('CREDENTIAL_MISSING', 'no agent credential presented (authorization: Bearer ...)');
  const cluster = store.clusters.credentialOwner(hashSecret(credential));
  if (!cluster) {
    throw new AgentAuthError(
      'CREDENTIAL_UNKNOWN',
      'agent credential is not known to this hub (rotated or never issued); register again',
    );
  }
  if (cluster.revokedAt) {
    throw new AgentAuthError(
      'CREDENTIAL_REVOKED',
      `cluster ${cluster.name}'s credential was revoked at ${cluster.revokedAt}`,
    );
  }
  return { name: cluster.name };
}
