import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { FlotillaError } from '@flotilla/proto';
import {
  NATS,
  agentInbox,
  clusterToken,
  natsCreds,
  natsJwtAuthenticator,
  nkeySigner,
  type NkeySigner,
} from '@flotilla/proto/runtime';
import type { NatsAgentAuthority } from './nats-server.js';
import { NatsUserRegistry } from './nats-users.js';
import { REGISTER_MAX_BYTES } from './request-limits.js';

export class NatsIdentityError extends FlotillaError {
  readonly code = 'NATS_IDENTITY';
}

/**
 * Per-cluster NATS isolation, the way NATS does it for large fleets: decentralized JWT auth. The hub
 * is the operator of its own NATS trust chain (operator -> account FLOTILLA -> users). It hands
 * nats-server a configuration trusting that operator, and signs:
 *   - its own user (no limits);
 *   - a registration user, allowed only to publish `flotilla.register` and read `_INBOX.register.>`
 *     (the hub seals each registration reply to the agent's xkey, so registrants cannot read each
 *     other's credentials);
 *   - at registration, one user per cluster for a public key the agent generated (its seed never leaves
 *     the agent), allowed to publish only `flotilla.agent.<cluster>.>` and `flotilla.report.<cluster>.>`
 *     and to subscribe only to its own KV key and `_INBOX.<cluster>.>`.
 * The server enforces these subjects, so one cluster cannot read another's desired state, replies or
 * bundle chunks, nor use the JetStream API at all; the hub additionally checks every agent message's
 * credential against the subject's cluster and serves bundle bytes only when desired on that cluster
 * (reading the object store needs the JetStream API, which agents do not get: a digest alone is not
 * enough). The alternative, an agent reading the object store directly, cannot be confined per digest.
 * Revocation: the hub refuses a revoked cluster's every hello, fetch and report at once, and voids its
 * NATS users (the account JWT's revocations, pushed through the system account; the server then
 * disconnects them and refuses them). Registering again rotates: the cluster's older users are voided.
 */
export interface NatsIdentity {
  operatorSeed: string;
  accountSeed: string;
  systemAccountSeed: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const b64url = (b: Uint8Array | string) => Buffer.from(typeof b === 'string' ? enc.encode(b) : b).toString('base64url');
const seedOf = (kp: KeyPair) => dec.decode(kp.getSeed());

/**
 * Keys sign through Node's crypto (see `nkeySigner`): with nkeys' JavaScript Ed25519 a user JWT cost
 * the hub about 19 ms of CPU, and working out a public key 13 ms more.
 */
type Signer = NkeySigner;
/** A fresh user key: its seed (for the client's authenticator) and signer. */
const newUser = () => {
  const seed = seedOf(createUser());
  return { seed, key: nkeySigner(seed) };
};

/** A NATS v2 JWT: `{typ, alg: ed25519-nkey}`, claims with jti/iat/iss/sub, signed by the issuer's nkey. */
function signJwt(issuer: Signer, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const body = { iat: Math.floor(Date.now() / 1000), iss: issuer.publicKey, name, sub: subject, nats };
  const jti = createHash('sha256').update(JSON.stringify(body)).digest('hex').toUpperCase().slice(0, 52);
  const payload = b64url(JSON.stringify({ jti, ...body }));
  const sig = b64url(issuer.sign(enc.encode(`${header}.${payload}`)));
  return `${header}.${payload}.${sig}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1 };

export class NatsAuthority implements NatsAgentAuthority {
  private readonly operator: Signer;
  private readonly account: Signer;
  private readonly system: Signer;

  constructor(
    identity: NatsIdentity,
    private readonly users = new NatsUserRegistry(),
  ) {
    try {
      this.operator = nkeySigner(identity.operatorSeed);
      this.account = nkeySigner(identity.accountSeed);
      this.system = nkeySigner(identity.systemAccountSeed);
    } catch (err) {
      throw new NatsIdentityError(
        'the hub NATS identity holds a key that is not an nkey seed; remove it to generate a new one',
        { cause: err },
      );
    }
  }

  static generate(): NatsIdentity {
    return {
      operatorSeed: seedOf(createOperator()),
      accountSeed: seedOf(createAccount()),
      systemAccountSeed: seedOf(createAccount()),
    };
  }

  /** The identity in `file` (mode 0600), generated on first use. */
  static loadOrCreate(file: string): NatsAuthority {
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(NatsAuthority.generate(), null, 2), { mode: 0o600 });
    }
    try {
      const identity = JSON.parse(readFileSync(file, 'utf8')) as NatsIdentity;
      return new NatsAuthority(identity, new NatsUserRegistry(join(dirname(file), 'users.json')));
    } catch (err) {
      if (err instanceof NatsIdentityError) throw err;
      throw new NatsIdentityError(
        `${file} is not a hub NATS identity (JSON with three nkey seeds); remove it to generate a new one`,
        { cause: err },
      );
    }
  }

  get accountPublicKey(): string {
    return this.account.publicKey;
  }

  private operatorJwt(): string {
    return signJwt(this.operator, this.operator.publicKey, 'flotilla', {
      type: 'operator',
      version: 2,
      system_account: this.system.publicKey,
    });
  }

  private accountJwt(key: Signer, name: string, jetstream: boolean, revocations?: Record<string, number>): string {
    const limits = {
      ...UNLIMITED,
      imports: -1,
      exports: -1,
      wildcards: true,
      conn: -1,
      leaf: -1,
      ...(jetstream ? { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } : {}),
    };
    const revoked = revocations && Object.keys(revocations).length > 0 ? { revocations } : {};
    return signJwt(this.operator, key.publicKey, name, { limits, ...revoked, type: 'account', version: 2 });
  }

  /** The agents' account JWT; `revocations` maps a user key to the time (unix s) up to which its JWTs are void. */
  flotillaAccountJwt(revocations: Record<string, number> = {}): string {
    return this.accountJwt(this.account, 'FLOTILLA', true, revocations);
  }

  /** A user of the system account: how the hub pushes an updated account JWT to the servers. */
  systemConnectOptions(): Partial<NodeConnectionOptions> {
    const user = newUser();
    const jwt = signJwt(this.system, user.key.publicKey, 'flotilla-hub-system', {
      ...UNLIMITED,
      type: 'user',
      version: 2,
    });
    return { authenticator: natsJwtAuthenticator(jwt, user.seed) };
  }

  /**
   * The nats-server configuration (include it, or pass it with -c) that trusts this hub's operator,
   * with the accounts preloaded. `operatorJwtFile` is where the operator JWT is written for it;
   * `listen`, the client address (host:port) it serves on.
   */
  serverConfig(operatorJwtFile: string, listen?: string): string {
    mkdirSync(dirname(operatorJwtFile), { recursive: true });
    writeFileSync(operatorJwtFile, this.operatorJwt());
    const sys = this.system.publicKey;
    const acc = this.account.publicKey;
    return [
      ...(listen ? [`listen: ${JSON.stringify(listen)}`] : []),
      `operator: ${JSON.stringify(operatorJwtFile)}`,
      `system_account: ${sys}`,
      'resolver: MEMORY',
      'resolver_preload: {',
      `  ${acc}: ${JSON.stringify(this.flotillaAccountJwt(this.users.revocations()))}`,
      `  ${sys}: ${JSON.stringify(this.accountJwt(this.system, 'SYS', false))}`,
      '}',
      '',
    ].join('\n');
  }

  private userJwt(userPublicKey: string, name: string, permissions: Record<string, unknown>): string {
    return signJwt(this.account, userPublicKey, name, { ...UNLIMITED, ...permissions, type: 'user', version: 2 });
  }

  /** The hub's own connection: a fresh user without limits. */
  hubConnectOptions(): Partial<NodeConnectionOptions> {
    const user = newUser();
    const jwt = this.userJwt(user.key.publicKey, 'flotilla-hub', {});
    return { authenticator: natsJwtAuthenticator(jwt, user.seed) };
  }

  /** `.creds` for a first start: may only ask to register. Not a secret worth much: registration needs a token. */
  registrationCreds(): string {
    const user = newUser();
    const jwt = this.userJwt(user.key.publicKey, 'flotilla-register', {
      pub: { allow: [NATS.register] },
      sub: { allow: [`${NATS.registerInbox}.>`] },
      // nats-server refuses a larger message from this user before the hub sees it.
      payload: REGISTER_MAX_BYTES,
    });
    return natsCreds(jwt, user.seed);
  }

  /** A cluster's user: its own subjects, nothing else (no JetStream API, no other cluster's subjects). */
  mintAgentJwt(cluster: string, userPublicKey: string): string {
    if (!/^U[A-Z2-7]{55}$/.test(userPublicKey)) {
      throw new NatsIdentityError(`registration of ${cluster}: "${userPublicKey}" is not an nkey user public key`);
    }
    const t = clusterToken(cluster);
    this.users.issue(cluster, userPublicKey);
    return this.userJwt(userPublicKey, cluster, {
      pub: { allow: [`flotilla.agent.${t}.>`, `flotilla.report.${t}.>`] },
      sub: { allow: [`$KV.${NATS.desiredBucket}.${t}`, `${agentInbox(cluster)}.>`] },
    });
  }

  userKeyKnown(userPublicKey: string): boolean {
    return this.users.known(userPublicKey);
  }

  revokeClusters(clusters: readonly string[]): boolean {
    return this.users.revokeClusters(clusters);
  }

  issuedClusters(): string[] {
    return this.users.issuedClusters();
  }

  /** The request that hands the servers the account JWT with the current revocations (via the system account). */
  accountUpdate(): { subject: string; jwt: string } {
    return {
      subject: `$SYS.REQ.ACCOUNT.${this.account.publicKey}.CLAIMS.UPDATE`,
      jwt: this.flotillaAccountJwt(this.users.revocations()),
    };
  }
}
