import {
  isFlotillaError,
  type AgentMessage__Output,
  type BundleChunk,
  type FetchBundleRequest__Output,
  type HubMessage,
  type RegisterRequest__Output,
  type RegisterResponse,
  type RenewClientCertificateRequest__Output,
  type RenewClientCertificateResponse,
} from '@flotilla/proto';
import { agentMessageDeserializer, loadFlotillaProto } from '@flotilla/proto/runtime';
import type { Store } from '../store/index.js';
import type { HubTls } from '../tls/hub-tls.js';
import {
  AgentProtocol,
  type AgentProtocolOptions,
  type Announcement,
  type BundleAccessError,
} from './agent-protocol.js';
import { authenticate, hashSecret, register, type AgentAuthError, type Registered } from './registration.js';
import { Code, frame, GrpcStatusError, type GrpcStatus } from './h2/frames.js';
import type { H2Limits } from './h2/limits.js';
import { H2GrpcServer, type CallContext, type Method, type Writer } from './h2/server.js';
import { maxRequestBytes } from './request-limits.js';

export interface GrpcServerOptions {
  store: Store;
  /** host:port; port 0 picks one. */
  address: string;
  /** TLS from setupHubTls: server certificate, mutual TLS, client certificates; absent: plaintext. */
  tls?: HubTls;
  heartbeatSeconds?: number;
  chunkBytes?: number;
  hubVersion?: string;
  /** A cluster registered (new, re-registered, or a retry answered again); see `Registered`. */
  onRegistered?: (r: Registered) => void;
  /** An agent reported another Kubernetes version in its hello: its placements need a reconcile. */
  onKubernetesVersionChanged?: (cluster: string) => void;
  /** Connections, streams, timeouts and buffered bytes (h2/limits.ts); request sizes are per method (request-limits.ts). */
  limits?: Partial<H2Limits>;
  /** Size and rate limits on what agents report (report-limits.ts). */
  reportLimits?: AgentProtocolOptions['reportLimits'];
}

export interface GrpcHub {
  port: number;
  /** The desired state changed (after a reconcile): streams whose set moved get it now. */
  notify(clusters?: string | readonly string[]): void;
  connectedClusters(): string[];
  /** The cluster was revoked or removed (the HTTP API calls this): its open streams and fetches end now. */
  disconnect(cluster: string): void;
  stop(): Promise<void>;
}

const STATUS_OF: Record<AgentAuthError['code'] | BundleAccessError['code'] | 'INVALID', number> = {
  TOKEN_UNKNOWN: Code.UNAUTHENTICATED,
  TOKEN_EXPIRED: Code.UNAUTHENTICATED,
  TOKEN_USED: Code.UNAUTHENTICATED,
  TOKEN_CLUSTER_MISMATCH: Code.PERMISSION_DENIED,
  CREDENTIAL_UNKNOWN: Code.UNAUTHENTICATED,
  CREDENTIAL_REVOKED: Code.UNAUTHENTICATED,
  CREDENTIAL_MISSING: Code.UNAUTHENTICATED,
  CLIENT_CERT_MISSING: Code.UNAUTHENTICATED,
  CLIENT_CERT_MISMATCH: Code.PERMISSION_DENIED,
  BUNDLE_NOT_DESIRED: Code.PERMISSION_DENIED,
  INVALID: Code.INVALID_ARGUMENT,
};

/** Maps our errors to a gRPC status at this edge; the message is kept, with the code in front. */
function toStatus(err: unknown): GrpcStatus {
  if (isFlotillaError(err)) {
    const code = STATUS_OF[err.code as keyof typeof STATUS_OF] ?? Code.FAILED_PRECONDITION;
    return { code, details: `${err.code}: ${err.message}` };
  }
  return { code: Code.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

function bearer(call: CallContext): string | undefined {
  const v = call.header('authorization');
  return v?.startsWith('Bearer ') ? v.slice(7) : undefined;
}

/** An open call authenticated once, when it opened: a Connect stream or a bundle fetch in progress. */
interface Authenticated {
  cluster: string;
  /** sha256 of the credential it was opened with. */
  credentialHash: string;
  /** Ends it with this status (a fetch stops before its next chunk). */
  fail(status: GrpcStatus): void;
}

interface Stream extends Authenticated {
  lastSent?: string;
  send(m: HubMessage): Promise<void>;
}

export async function startGrpcServer(o: GrpcServerOptions): Promise<GrpcHub> {
  const { store } = o;
  const streams = new Set<Stream>();
  /** Each cluster's open calls (streams and fetches): a registration must not scan every agent's. */
  const calls = new Map<string, Set<Authenticated>>();
  const track = (c: Authenticated) => {
    const set = calls.get(c.cluster) ?? new Set<Authenticated>();
    calls.set(c.cluster, set.add(c));
  };
  const untrack = (c: Authenticated) => {
    const set = calls.get(c.cluster);
    if (set?.delete(c) && set.size === 0) calls.delete(c.cluster);
    streams.delete(c as Stream);
  };
  /**
   * Ends the cluster's open calls, but for those opened with `keep`: a revoked or removed cluster
   * loses all of them, a registration those of the credential it replaced. Each was authenticated
   * once, when it opened, so without this it would outlive its credential.
   */
  const endCalls = (cluster: string, status: GrpcStatus, keep?: string) => {
    for (const c of [...(calls.get(cluster) ?? [])]) {
      if (c.credentialHash === keep) continue;
      untrack(c);
      c.fail(status);
    }
  };
  const chunk = o.chunkBytes ?? 1024 * 1024;

  const protocol = new AgentProtocol(o);

  const sendDesired = async (s: Stream, d: Announcement) => {
    if (d.generation === s.lastSent) return;
    s.lastSent = d.generation;
    await s.send({ desired: d.message });
  };

  const onAgentMessage = async (s: Stream, m: AgentMessage__Output) => {
    if (m.hello) {
      const { welcome, desired } = protocol.hello(s.cluster, m.hello);
      await s.send({ welcome });
      if (desired.generation === s.lastSent) return;
      s.lastSent = String(desired.generation);
      await s.send({ desired });
    } else {
      // Not awaited: reports that arrive together are folded in one commit (in order: one queue).
      protocol.foldQuietly(s.cluster, m);
    }
  };

  const proto = loadFlotillaProto().flotilla.v1;
  const agentService = proto.AgentService.service;
  const registrationService = proto.Registration.service;
  // The service definitions' own (de)serializers; status and heartbeats decoded straight into their
  // output objects (see agentMessageDeserializer).
  const codec = <Req, Res>(d: {
    requestDeserialize: (b: Buffer) => unknown;
    responseSerialize: (m: never) => Buffer;
  }) => ({
    decode: d.requestDeserialize as (b: Buffer) => Req,
    encode: d.responseSerialize as unknown as (m: Res) => Buffer,
  });

  const connect: Method<AgentMessage__Output, HubMessage> = {
    kind: 'bidi',
    ...codec<AgentMessage__Output, HubMessage>(agentService.Connect),
    decode: agentMessageDeserializer(agentService.Connect.requestDeserialize as (b: Buffer) => AgentMessage__Output),
    handle(call, out) {
      const credential = bearer(call);
      const cluster = authenticate(store, credential);
      o.tls?.checkPeer(call, cluster.name);
      const s: Stream = {
        cluster: cluster.name,
        credentialHash: hashSecret(credential!),
        send: (m) => out.write(m),
        fail: (st) => out.fail(st),
      };
      streams.add(s);
      track(s);
      let queue = Promise.resolve();
      let queued = 0;
      return {
        message(m) {
          // In order: a status must not overtake the hello before it. Reports arriving with nothing
          // queued go straight to folding, without a promise chain per message.
          if (queued === 0 && !m.hello) {
            protocol.foldQuietly(s.cluster, m);
            return;
          }
          queued++;
          queue = queue
            .then(() => onAgentMessage(s, m))
            .catch(() => undefined)
            .finally(() => queued--);
        },
        end: () => out.end(),
        close: () => untrack(s),
      };
    },
  };

  const encodeChunk = agentService.FetchBundle.responseSerialize as unknown as (m: BundleChunk) => Buffer;
  /**
   * A single-message answer per bundle, framed, for as long as the hub keeps that bundle's bytes
   * (`bundleBytes` hands out the same buffer while it is cached). When a commit reaches 1,000
   * clusters, each fetch was an encoding and two copies of the bundle, and the young-generation
   * collections to sweep them.
   */
  const wholeBundles = new WeakMap<Buffer, Buffer>();

  /** The bundle's bytes from `offset`; `ended` says when the call's credential stopped counting. */
  const sendBundle = async (
    cluster: string,
    req: FetchBundleRequest__Output,
    call: CallContext,
    out: Writer<BundleChunk>,
    ended: () => GrpcStatus | undefined,
  ) => {
    const digest = req.digest;
    const bytes = protocol.bundleBytes(cluster, digest);
    const total = bytes.length;
    if (Number(req.offset) === 0 && total <= chunk) {
      // The whole bundle in one message, the same for every cluster that fetches it: encoded once.
      let framed = wholeBundles.get(bytes);
      if (!framed) {
        framed = frame(encodeChunk({ digest, offset: 0, data: bytes, totalSize: total, last: true }));
        wholeBundles.set(bytes, framed);
      }
      await out.writeFramed(framed);
      return;
    }
    for (let off = Number(req.offset); off < total; off += chunk) {
      if (call.cancelled) return;
      const status = ended();
      if (status) throw new GrpcStatusError(status.code, status.details);
      const data = bytes.subarray(off, Math.min(total, off + chunk));
      const last = off + chunk >= total;
      await out.write({ digest, offset: off, data, totalSize: total, last });
      if (last) break;
    }
  };

  const fetchBundle: Method<FetchBundleRequest__Output, BundleChunk> = {
    kind: 'serverStream',
    ...codec<FetchBundleRequest__Output, BundleChunk>(agentService.FetchBundle),
    async handle(req, call, out) {
      const credential = bearer(call);
      const cluster = authenticate(store, credential);
      o.tls?.checkPeer(call, cluster.name);
      let ended: GrpcStatus | undefined;
      const f: Authenticated = {
        cluster: cluster.name,
        credentialHash: hashSecret(credential!),
        fail: (st) => (ended = st),
      };
      track(f);
      try {
        await sendBundle(cluster.name, req, call, out, () => ended);
      } finally {
        untrack(f);
      }
    },
  };

  const registerMethod: Method<RegisterRequest__Output, RegisterResponse> = {
    kind: 'unary',
    ...codec<RegisterRequest__Output, RegisterResponse>(registrationService.Register),
    handle(r) {
      // Checked before the token is spent: a bad request must not cost the agent its token.
      const issue = r.clientCsrPem ? o.tls?.clientCertificateSigner?.(r.clientCsrPem) : undefined;
      const registered = register(store, r);
      const { cluster, credential } = registered;
      // Before the answer: by the time the agent holds its new credential, the old one holds nothing.
      endCalls(
        cluster.name,
        {
          code: Code.UNAUTHENTICATED,
          details: `CREDENTIAL_ROTATED: cluster ${cluster.name} registered again and holds a new credential; this stream was opened with the one it replaced`,
        },
        hashSecret(credential),
      );
      o.onRegistered?.(registered);
      return {
        clusterId: cluster.name,
        credential,
        labels: { ...cluster.labels },
        heartbeatSeconds: protocol.heartbeatSeconds,
        clientCertificatePem: issue ? issue(cluster.name) : '',
        caCertificatePem: o.tls?.caCertificatePem ?? '',
      };
    },
  };

  const renew: Method<RenewClientCertificateRequest__Output, RenewClientCertificateResponse> = {
    kind: 'unary',
    ...codec<RenewClientCertificateRequest__Output, RenewClientCertificateResponse>(
      registrationService.RenewClientCertificate,
    ),
    handle(req, call) {
      const cluster = authenticate(store, bearer(call));
      o.tls?.checkPeer(call, cluster.name);
      const issue = o.tls?.clientCertificateSigner?.(req.clientCsrPem);
      if (!issue) {
        throw new GrpcStatusError(
          Code.FAILED_PRECONDITION,
          'this hub issues no client certificates (TLS is off, or its client CA is the operator’s)',
        );
      }
      return { clientCertificatePem: issue(cluster.name) };
    },
  };

  const server = new H2GrpcServer({ ...(o.tls ? { tls: o.tls.source } : {}), toStatus, limits: o.limits ?? {} });
  const serve = <Req, Res>(path: string, m: Method<Req, Res>) => server.add(path, m, maxRequestBytes(path));
  serve(agentService.Connect.path, connect);
  serve(agentService.FetchBundle.path, fetchBundle);
  serve(registrationService.Register.path, registerMethod);
  serve(registrationService.RenewClientCertificate.path, renew);
  const port = await server.listen(o.address);

  const notify = (clusters?: string | readonly string[]) => {
    const only = clusters === undefined ? undefined : new Set(typeof clusters === 'string' ? [clusters] : clusters);
    const targets = [...streams].filter((s) => only === undefined || only.has(s.cluster));
    if (targets.length === 0) return;
    const desired = protocol.desiredMany(new Set(targets.map((s) => s.cluster)));
    for (const s of targets) {
      const d = desired.get(s.cluster);
      if (d) void sendDesired(s, d).catch(() => undefined);
    }
  };
  // What the store says changed goes to those clusters' agents connected here: no one relays it.
  const unsubscribe = o.store.desiredChanges.subscribe(notify);

  return {
    port,
    notify,
    connectedClusters: () => [...new Set([...streams].map((s) => s.cluster))].sort(),
    disconnect(cluster) {
      endCalls(cluster, {
        code: Code.UNAUTHENTICATED,
        details: `CREDENTIAL_REVOKED: cluster ${cluster} was revoked or removed on the hub; register it again to reconnect`,
      });
    },
    stop: () => {
      unsubscribe();
      return server.stop(2000);
    },
  };
}
