import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { createCurve, createUser } from '@nats-io/nkeys';
import {
  connect,
  createInbox,
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { FlotillaError, type AgentMessage, type Hello } from '@flotilla/proto';
import {
  NATS,
  agentInbox,
  agentSubject,
  desiredSubject,
  natsCodecs,
  natsCreds,
  natsJwtAuthenticator,
  nkeySigner,
  parseNatsCreds,
  reportSubject,
} from '@flotilla/proto/runtime';
import { AgentSession, type AgentSessionOptions, type BundleSink, type HubLink } from './agent-session.js';

/** The hub refused a NATS request (a bad token or credential, a bundle not desired here); `code` is the hub's. */
export class HubRefusedError extends FlotillaError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface NatsConnectionOptions extends AgentSessionOptions {
  /** nats://host:port (or several). */
  servers: string | string[];
  /**
   * The per-cluster NATS credentials (user JWT and seed) written at registration when the NATS server
   * runs in JWT mode; default: `nats.creds` beside the credential file.
   */
  natsCredsFile?: string;
  /** Credentials allowed only to register (`flotilla.register`), for a first start on a JWT-mode server. */
  registerCredsFile?: string;
  /** How long to wait for the hub to answer a hello or a fetch chunk. */
  requestTimeoutMs?: number;
}

const MAX_UNSENT = 10_000;

function refusal(m: Msg | undefined, what: string): HubRefusedError | undefined {
  const code = m?.headers?.get(NATS.errorHeader);
  return code ? new HubRefusedError(code, `${what}: ${code}: ${m!.string()}`) : undefined;
}

/**
 * The agent's side over NATS: the same session as gRPC (hello, desired, fetch by digest, status,
 * drift, heartbeat), on its cluster's own subjects. Pushes are the hub's writes to the agent's KV key;
 * a hello on every (re)connect says what the agent holds and catches what it missed.
 */
export class NatsHubConnection extends AgentSession {
  private nc: NatsConnection | undefined;
  private readonly codecs = natsCodecs();
  /** Reports the stream did not ack (NATS away): the latest per bundle, sent again after the next hello. */
  private readonly unsent = new Map<string, AgentMessage>();
  /** The hub's stamp on the newest desired state taken. */
  private desiredAt = 0;

  constructor(
    private readonly o: NatsConnectionOptions,
    sink: BundleSink,
  ) {
    super(o, sink);
  }

  private get credsFile(): string {
    return this.o.natsCredsFile ?? `${dirname(this.o.credentialFile)}/nats.creds`;
  }

  private auth(file: string | undefined): Partial<NodeConnectionOptions> {
    if (!file || !existsSync(file)) return {};
    const { jwt, seed } = parseNatsCreds(readFileSync(file, 'utf8'), file);
    return { authenticator: natsJwtAuthenticator(jwt, seed) };
  }

  protected async register(token: string, retryKey: string): Promise<string> {
    const nc = await connect({
      servers: this.o.servers,
      name: `flotilla-agent-register/${this.o.clusterName}`,
      inboxPrefix: NATS.registerInbox,
      ...this.auth(this.o.registerCredsFile),
    }).catch((err: unknown) => {
      if (!/authorization violation/i.test(String(err))) throw err;
      throw new HubRefusedError(
        'NATS_REGISTER_REFUSED',
        `NATS_REGISTER_REFUSED: the NATS server refused to let cluster ${this.o.clusterName} register with ${this.o.registerCredsFile ?? 'no credentials'}: pass --nats-register-creds with the register.creds that 'flotilla-hub nats init' wrote`,
      );
    });
    try {
      // The agent's own NATS user key (its seed never leaves the agent); its public key through
      // node:crypto, not nkeys' JavaScript Ed25519 (see nkeySigner).
      const seed = new TextDecoder().decode(createUser().getSeed());
      const xkey = createCurve();
      const hdrs = headers();
      hdrs.set(NATS.userKeyHeader, nkeySigner(seed).publicKey);
      hdrs.set(NATS.xkeyHeader, xkey.getPublicKey());
      const req = this.codecs.registerRequest.encode({
        token,
        clusterName: this.o.clusterName,
        agentVersion: this.o.agentVersion ?? '',
        kubernetesVersion: this.o.kubernetesVersion ?? '',
        retryKey,
      });
      const m = await nc.request(NATS.register, req, { headers: hdrs, timeout: this.o.requestTimeoutMs ?? 10_000 });
      const refused = refusal(m, `registering cluster ${this.o.clusterName}`);
      if (refused) throw refused;
      const opened = xkey.open(m.data, m.headers?.get(NATS.hubXkeyHeader) ?? '');
      if (!opened) throw new Error(`registering cluster ${this.o.clusterName}: the hub's reply could not be opened`);
      const res = this.codecs.registerResponse.decode(opened);
      const jwt = m.headers?.get(NATS.userJwtHeader);
      if (jwt) this.writeCreds(jwt, seed);
      return res.credential;
    } finally {
      await nc.close();
    }
  }

  private writeCreds(jwt: string, seed: string): void {
    mkdirSync(dirname(this.credsFile), { recursive: true });
    writeFileSync(this.credsFile, natsCreds(jwt, seed), { mode: 0o600 });
  }

  private headers(credential: string): MsgHdrs {
    const h = headers();
    h.set(NATS.authHeader, `Bearer ${credential}`);
    return h;
  }

  /** One NATS connection, until it closes; the client reconnects by itself and each reconnect says hello again. */
  protected async serve(credential: string, hello: Hello): Promise<void> {
    const cluster = this.o.clusterName;
    const nc = await connect({
      servers: this.o.servers,
      name: `flotilla-agent/${cluster}`,
      inboxPrefix: agentInbox(cluster),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...this.auth(this.credsFile),
    }).catch((err: unknown) => {
      throw this.userRefused(err) ?? err;
    });
    this.nc = nc;
    if (this.stopping) return void (await nc.close());
    const js = jetstream(nc);
    const link: HubLink = {
      send: (m) => this.publish(nc, js, credential, m),
      fetch: (digest) => this.fetch(nc, credential, digest),
    };
    nc.subscribe(desiredSubject(cluster), {
      callback: (err, m) => {
        if (err || m.data.length === 0) return;
        if (this.fresh(m)) this.onHubMessage(this.codecs.hub.decode(m.data), link);
      },
    });
    const sayHello = async (h: Hello) => {
      const m = await nc.request(agentSubject(cluster, 'hello'), this.codecs.agent.encode({ hello: h }), {
        headers: this.headers(credential),
        timeout: this.o.requestTimeoutMs ?? 10_000,
      });
      const refused = refusal(m, `hello from cluster ${cluster}`);
      if (refused) throw refused;
      const heartbeatSeconds = Number(m.headers?.get(NATS.heartbeatHeader) ?? 15);
      const statusBatches = m.headers?.get(NATS.statusBatchesHeader) === '1';
      this.onHubMessage({ welcome: { clusterId: cluster, heartbeatSeconds, hubVersion: '', statusBatches } }, link);
      if (this.fresh(m)) this.onHubMessage(this.codecs.hub.decode(m.data), link);
      const again = [...this.unsent.values()];
      this.unsent.clear();
      for (const r of again) link.send(r);
    };
    /**
     * After a reconnect the hub may not be back yet (no responders): keep saying hello, with the
     * session's reconnect backoff (short while the hub answered recently), until it answers; what the
     * agent missed meanwhile comes with that answer.
     */
    const helloAgain = async () => {
      for (let attempt = 1; !nc.isClosed(); attempt++) {
        try {
          return await sayHello(this.hello());
        } catch (err) {
          this.event('helloFailed', { attempt, error: err instanceof Error ? err.message : String(err) });
          // A refused credential ends this connection; run() backs off and tries again.
          if (err instanceof HubRefusedError) return nc.close();
          await new Promise((r) => setTimeout(r, this.reconnectDelay(attempt)));
        }
      }
    };
    try {
      await sayHello(hello);
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect') this.linkLost();
          else if (s.type === 'reconnect') await helloAgain();
        }
      })();
    } catch (err) {
      // The server may have ended the connection (a voided user) while the hello was in flight.
      const why = nc.isClosed() ? await nc.closed() : undefined;
      await nc.close();
      throw this.userRefused(why) ?? err;
    }
    const closed = await nc.closed();
    this.nc = undefined;
    if (closed) throw this.userRefused(closed) ?? closed;
  }

  /** False for a desired state older than one already taken (a hello's answer overtaken by a KV push). */
  private fresh(m: Msg): boolean {
    const at = Number(m.headers?.get(NATS.desiredAtHeader) ?? 0);
    if (at < this.desiredAt) {
      this.event('staleDesiredIgnored', { at, newest: this.desiredAt });
      return false;
    }
    this.desiredAt = at;
    return true;
  }

  /** The NATS server's refusal of this cluster's user, said so that an operator knows what to do. */
  private userRefused(err: unknown): HubRefusedError | undefined {
    if (!/authorization violation|authentication (expired|revoked)/i.test(String(err))) return undefined;
    return new HubRefusedError(
      'NATS_USER_REFUSED',
      `NATS_USER_REFUSED: the NATS server refused cluster ${this.o.clusterName}'s user (${this.credsFile}): revoked or replaced; register again with a new token`,
    );
  }

  protected close(): void {
    void this.nc?.close();
  }

  /** Status and drift go to the reports stream (acked: at-least-once); heartbeats are fire-and-forget. */
  private publish(nc: NatsConnection, js: ReturnType<typeof jetstream>, credential: string, m: AgentMessage): void {
    const cluster = this.o.clusterName;
    const data = this.codecs.agent.encode(m);
    if (m.heartbeat) {
      nc.publish(agentSubject(cluster, 'heartbeat'), data, { headers: this.headers(credential) });
      return;
    }
    const subject = reportSubject(cluster, m.drift ? 'drift' : 'status');
    // The same report published twice within the stream's window is stored once. The stream's window
    // spans every cluster's subjects, so the subject is part of the id: another cluster's byte-identical
    // report (same deployment, digest, state and millisecond) must not be dropped as this one's duplicate.
    const msgID = createHash('sha256').update(subject).update('\0').update(data).digest('hex');
    js.publish(subject, data, { headers: this.headers(credential), msgID }).catch((err: unknown) => {
      // A batch is kept status by status: the latest of each deployment is what is sent again.
      const kept: [string, AgentMessage][] = m.statuses
        ? (m.statuses.statuses ?? []).map((s) => [`status/${s.deployment}`, { status: s }])
        : [[m.status ? `status/${m.status.deployment}` : `drift/${msgID}`, m]];
      for (const [key, one] of kept) {
        if (this.unsent.size < MAX_UNSENT || this.unsent.has(key)) this.unsent.set(key, one);
      }
      this.event('reportDeferred', { subject, error: err instanceof Error ? err.message : String(err) });
    });
  }

  /** A bundle's bytes, chunk by chunk on a private inbox, until the chunk marked last. */
  private async fetch(nc: NatsConnection, credential: string, digest: string): Promise<Buffer> {
    const inbox = createInbox(agentInbox(this.o.clusterName));
    const timeout = this.o.requestTimeoutMs ?? 10_000;
    const sub = nc.subscribe(inbox, { timeout });
    const parts: Buffer[] = [];
    nc.publish(agentSubject(this.o.clusterName, 'fetch'), this.codecs.fetch.encode({ digest, offset: 0 }), {
      reply: inbox,
      headers: this.headers(credential),
    });
    try {
      for await (const m of sub) {
        const refused = refusal(m, `fetching bundle ${digest}`);
        if (refused) throw refused;
        const c = this.codecs.chunk.decode(m.data);
        parts.push(Buffer.from(c.data));
        if (c.last) return Buffer.concat(parts);
      }
    } catch (err) {
      if (err instanceof HubRefusedError) throw err;
      throw new Error(`fetching bundle ${digest} over NATS: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    } finally {
      sub.unsubscribe();
    }
    throw new Error(`fetching bundle ${digest} over NATS: the reply ended before its last chunk`);
  }
}
