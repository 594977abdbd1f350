import * as grpc from '@grpc/grpc-js';
import {
  agentMessageDeserializer,
  isFlotillaError,
  loadFlotillaProto,
  type AgentMessage__Output,
  type AgentServiceHandlers,
  type BundleChunk,
  type HubMessage,
  type RegistrationHandlers,
} from '@flotilla/proto';
import type { Store } from '../store/index.js';
import type { HubTls } from '../tls/hub-tls.js';
import { AgentProtocol, type Announcement, type BundleAccessError } from './agent-protocol.js';
import { authenticate, register, type AgentAuthError, type Registered } from './registration.js';

export interface GrpcServerOptions {
  store: Store;
  /** host:port; port 0 picks one. */
  address: string;
  credentials?: grpc.ServerCredentials;
  /** TLS from setupHubTls (wins over `credentials`): server certificate, mutual TLS, client certificates. */
  tls?: HubTls;
  heartbeatSeconds?: number;
  chunkBytes?: number;
  hubVersion?: string;
  /** A cluster registered (new, re-registered, or a retry answered again); see `Registered`. */
  onRegistered?: (r: Registered) => void;
  /** An agent reported another Kubernetes version in its hello: its placements need a reconcile. */
  onKubernetesVersionChanged?: (cluster: string) => void;
}

export interface GrpcHub {
  port: number;
  /** The desired state changed (after a reconcile): streams whose set moved get it now. */
  notify(cluster?: string): void;
  connectedClusters(): string[];
  stop(): Promise<void>;
}

const STATUS_OF: Record<AgentAuthError['code'] | BundleAccessError['code'], grpc.status> = {
  TOKEN_UNKNOWN: grpc.status.UNAUTHENTICATED,
  TOKEN_EXPIRED: grpc.status.UNAUTHENTICATED,
  TOKEN_USED: grpc.status.UNAUTHENTICATED,
  TOKEN_CLUSTER_MISMATCH: grpc.status.PERMISSION_DENIED,
  CREDENTIAL_UNKNOWN: grpc.status.UNAUTHENTICATED,
  CREDENTIAL_REVOKED: grpc.status.UNAUTHENTICATED,
  CREDENTIAL_MISSING: grpc.status.UNAUTHENTICATED,
  CLIENT_CERT_MISSING: grpc.status.UNAUTHENTICATED,
  CLIENT_CERT_MISMATCH: grpc.status.PERMISSION_DENIED,
  BUNDLE_NOT_DESIRED: grpc.status.PERMISSION_DENIED,
};

/** Maps our errors to a gRPC status at this edge; the message is kept, with the code in front. */
function toStatus(err: unknown): Partial<grpc.ServiceError> {
  if (isFlotillaError(err)) {
    const code = STATUS_OF[err.code as keyof typeof STATUS_OF] ?? grpc.status.FAILED_PRECONDITION;
    return { code, details: `${err.code}: ${err.message}` };
  }
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

function bearer(md: grpc.Metadata): string | undefined {
  const v = md.get('authorization')[0];
  return typeof v === 'string' && v.startsWith('Bearer ') ? v.slice(7) : undefined;
}

/** Writes respecting flow control: waits for 'drain' when the stream's buffer is full. */
async function writeAll<T>(call: { write(m: T): boolean; once(e: 'drain', f: () => void): unknown }, msg: T) {
  if (!call.write(msg)) await new Promise<void>((r) => call.once('drain', r));
}

/** Ends a streaming call with a status (grpc-js sends an 'error' event as the call's status). */
function fail(
  call: { emit(e: 'error', err: Partial<grpc.ServiceError>): boolean },
  status: Partial<grpc.ServiceError>,
): void {
  call.emit('error', status);
}

interface Stream {
  cluster: string;
  lastSent?: string;
  send(m: HubMessage): Promise<void>;
}

export async function startGrpcServer(o: GrpcServerOptions): Promise<GrpcHub> {
  const { store } = o;
  const proto = loadFlotillaProto().flotilla.v1;
  const streams = new Set<Stream>();
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

  const agent: AgentServiceHandlers = {
    Connect(call) {
      let cluster;
      try {
        cluster = authenticate(store, bearer(call.metadata));
        o.tls?.checkPeer(call, cluster.name);
      } catch (err) {
        fail(call, toStatus(err));
        return;
      }
      const s: Stream = { cluster: cluster.name, send: (m) => writeAll(call, m) };
      streams.add(s);
      let queue = Promise.resolve();
      let queued = 0;
      call.on('data', (m: AgentMessage__Output) => {
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
      });
      const end = () => {
        streams.delete(s);
      };
      call.on('end', () => {
        end();
        call.end();
      });
      call.on('error', end);
      call.on('cancelled', end);
    },
    async FetchBundle(call) {
      try {
        const cluster = authenticate(store, bearer(call.metadata));
        o.tls?.checkPeer(call, cluster.name);
        const digest = call.request.digest;
        const bytes = protocol.bundleBytes(cluster.name, digest);
        const total = bytes.length;
        for (let off = Number(call.request.offset); off < total || (off === 0 && total === 0); off += chunk) {
          const data = bytes.subarray(off, Math.min(total, off + chunk));
          const last = off + chunk >= total;
          const msg: BundleChunk = { digest, offset: off, data, totalSize: total, last };
          await writeAll(call, msg);
          if (last) break;
        }
        call.end();
      } catch (err) {
        fail(call, toStatus(err));
      }
    },
  };

  const registration: RegistrationHandlers = {
    Register(call, cb) {
      try {
        const r = call.request;
        // Checked before the token is spent: a bad request must not cost the agent its token.
        const issue = r.clientCsrPem ? o.tls?.clientCertificateSigner?.(r.clientCsrPem) : undefined;
        const registered = register(store, r);
        const { cluster, credential } = registered;
        o.onRegistered?.(registered);
        cb(null, {
          clusterId: cluster.name,
          credential,
          labels: { ...cluster.labels },
          heartbeatSeconds: protocol.heartbeatSeconds,
          clientCertificatePem: issue ? issue(cluster.name) : '',
          caCertificatePem: o.tls?.caCertificatePem ?? '',
        });
      } catch (err) {
        cb(toStatus(err));
      }
    },
    RenewClientCertificate(call, cb) {
      try {
        const cluster = authenticate(store, bearer(call.metadata));
        o.tls?.checkPeer(call, cluster.name);
        const issue = o.tls?.clientCertificateSigner?.(call.request.clientCsrPem);
        if (!issue) {
          cb({
            code: grpc.status.FAILED_PRECONDITION,
            details: 'this hub issues no client certificates (TLS is off, or its client CA is the operator’s)',
          });
          return;
        }
        cb(null, { clientCertificatePem: issue(cluster.name) });
      } catch (err) {
        cb(toStatus(err));
      }
    },
  };

  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    // No channelz service is served: without it grpc-js keeps no per-connection registry entry and
    // stamps no time on every message received.
    'grpc.enable_channelz': 0,
  });
  const service = proto.AgentService.service;
  const { Connect } = service;
  // Status and heartbeats decoded straight into their output objects (see agentMessageDeserializer).
  server.addService(
    { ...service, Connect: { ...Connect, requestDeserialize: agentMessageDeserializer(Connect.requestDeserialize) } },
    agent,
  );
  server.addService(proto.Registration.service, registration);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      o.address,
      o.tls?.credentials ?? o.credentials ?? grpc.ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );

  return {
    port,
    notify(cluster) {
      const targets = [...streams].filter((s) => cluster === undefined || s.cluster === cluster);
      if (targets.length === 0) return;
      const desired = protocol.desiredMany(new Set(targets.map((s) => s.cluster)));
      for (const s of targets) {
        const d = desired.get(s.cluster);
        if (d) void sendDesired(s, d).catch(() => undefined);
      }
    },
    connectedClusters: () => [...new Set([...streams].map((s) => s.cluster))].sort(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
