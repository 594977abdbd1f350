import * as grpc from '@grpc/grpc-js';
import {
  fromWireState,
  isFlotillaError,
  loadFlotillaProto,
  type AgentMessage__Output,
  type AgentServiceHandlers,
  type BundleChunk,
  type HubMessage,
  type RegistrationHandlers,
} from '@flotilla/proto';
import type { Store } from '../store/index.js';
import { desiredFor, parseBundleId } from './desired.js';
import { authenticate, register, type AgentAuthError } from './registration.js';

export interface GrpcServerOptions {
  store: Store;
  /** host:port; port 0 picks one. */
  address: string;
  credentials?: grpc.ServerCredentials;
  heartbeatSeconds?: number;
  chunkBytes?: number;
  hubVersion?: string;
  /** A cluster registered (new, or re-registered): its desired state must be computed. */
  onRegistered?: (cluster: string) => void;
}

export interface GrpcHub {
  port: number;
  /** The desired state changed (after a reconcile): streams whose set moved get it now. */
  notify(cluster?: string): void;
  connectedClusters(): string[];
  stop(): Promise<void>;
}

const STATUS_OF: Record<AgentAuthError['code'], grpc.status> = {
  TOKEN_UNKNOWN: grpc.status.UNAUTHENTICATED,
  TOKEN_EXPIRED: grpc.status.UNAUTHENTICATED,
  TOKEN_USED: grpc.status.UNAUTHENTICATED,
  TOKEN_CLUSTER_MISMATCH: grpc.status.PERMISSION_DENIED,
  CREDENTIAL_UNKNOWN: grpc.status.UNAUTHENTICATED,
  CREDENTIAL_REVOKED: grpc.status.UNAUTHENTICATED,
  CREDENTIAL_MISSING: grpc.status.UNAUTHENTICATED,
};

/** Maps our errors to a gRPC status at this edge; the message is kept, with the code in front. */
function toStatus(err: unknown): Partial<grpc.ServiceError> {
  if (isFlotillaError(err)) {
    const code = STATUS_OF[err.code as AgentAuthError['code']] ?? grpc.status.FAILED_PRECONDITION;
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

  const sendDesired = async (s: Stream, appliedGeneration?: string) => {
    const d = desiredFor(store, s.cluster);
    if (d.generation === s.lastSent) return;
    s.lastSent = d.generation;
    const unchanged = appliedGeneration === d.generation;
    await s.send({ desired: { generation: d.generation, unchanged, bundles: unchanged ? [] : d.bundles } });
  };

  const onAgentMessage = async (s: Stream, m: AgentMessage__Output) => {
    if (m.hello) {
      store.clusters.recordSeen(s.cluster, {
        ...(m.hello.agentVersion ? { agentVersion: m.hello.agentVersion } : {}),
        ...(m.hello.kubernetesVersion ? { kubernetesVersion: m.hello.kubernetesVersion } : {}),
      });
      await s.send({
        welcome: { clusterId: s.cluster, heartbeatSeconds: o.heartbeatSeconds ?? 15, hubVersion: o.hubVersion ?? '' },
      });
      await sendDesired(s, m.hello.appliedGeneration);
    } else if (m.heartbeat) {
      store.clusters.recordSeen(s.cluster);
    } else if (m.drift) {
      const slot = parseBundleId(m.drift.bundleId);
      if (!slot) return;
      const o = m.drift.object;
      store.events.append({
        kind: m.drift.corrected ? 'DriftCorrected' : 'DriftDetected',
        cluster: s.cluster,
        ...slot,
        payload: {
          object: o ? `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}` : '',
          fields: m.drift.fields.map((f) => ({ path: f.path, desired: f.desiredJson, live: f.liveJson })),
          manager: m.drift.manager,
          changedAt: Number(m.drift.changedAtUnixMs),
          detectedAt: Number(m.drift.detectedAtUnixMs),
        },
      });
    } else if (m.status) {
      const slot = parseBundleId(m.status.bundleId);
      if (!slot) return;
      store.deployments.recordStatus({
        cluster: s.cluster,
        ...slot,
        generation: Number(m.status.generation),
        state: fromWireState(m.status.state),
        message: m.status.message,
      });
    }
  };

  const agent: AgentServiceHandlers = {
    Connect(call) {
      let cluster;
      try {
        cluster = authenticate(store, bearer(call.metadata));
      } catch (err) {
        fail(call, toStatus(err));
        return;
      }
      const s: Stream = { cluster: cluster.name, send: (m) => writeAll(call, m) };
      streams.add(s);
      let queue = Promise.resolve();
      call.on('data', (m: AgentMessage__Output) => {
        // In order, one at a time: a status must not overtake the hello before it.
        queue = queue.then(() => onAgentMessage(s, m)).catch(() => undefined);
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
        const digest = call.request.digest;
        // Only a bundle desired on the caller's own cluster; a cheap lookup, not the whole desired set.
        if (!store.deployments.list({ cluster: cluster.name }).some((d) => d.bundle === digest)) {
          fail(call, {
            code: grpc.status.PERMISSION_DENIED,
            details: `cluster ${cluster.name} may not fetch bundle ${digest}: it is not desired on that cluster`,
          });
          return;
        }
        const bytes = store.bundles.content(digest);
        if (!bytes) throw new Error(`bundle ${digest} is missing from the store`);
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
        const { cluster, credential } = register(store, {
          token: r.token,
          clusterName: r.clusterName,
          labels: r.labels,
          kubernetesVersion: r.kubernetesVersion,
          agentVersion: r.agentVersion,
        });
        o.onRegistered?.(cluster.name);
        cb(null, {
          clusterId: cluster.name,
          credential,
          labels: { ...cluster.labels },
          heartbeatSeconds: o.heartbeatSeconds ?? 15,
        });
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
  });
  server.addService(proto.AgentService.service, agent);
  server.addService(proto.Registration.service, registration);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(o.address, o.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );

  return {
    port,
    notify(cluster) {
      for (const s of streams)
        if (cluster === undefined || s.cluster === cluster) void sendDesired(s).catch(() => undefined);
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
