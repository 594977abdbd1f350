import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadFlotillaProto } from '@flotilla/proto/runtime';
import type { HubProcess } from '../../harness/hub.js';

/**
 * What the security tests need of a `flotilla-hub serve` process: its API with a given token, and
 * raw agent calls (grpc-js, not our agent) so a test can send what a hostile agent would.
 */
const v1 = loadFlotillaProto().flotilla.v1;

export interface Reply<T> {
  status: number;
  body: T;
}

export interface Desired {
  generation: string;
  deployments: { deployment: string; digest: string }[];
}

/** An agent's Connect stream as a test sees it: every desired state it was sent, and how it ended. */
export interface AgentStream {
  desired: Desired[];
  ended?: grpc.ServiceError;
  endedAt?: number;
  call: grpc.ClientDuplexStream<unknown, unknown>;
}

export interface RegisterRequest {
  token: string;
  clusterName: string;
  labels?: Record<string, string>;
  kubernetesVersion?: string;
  agentVersion?: string;
}

export interface RegisterReply {
  clusterId: string;
  credential: string;
  labels: Record<string, string>;
}

export function hubClients(hub: HubProcess, dataDir: string) {
  const grpcAddr = `127.0.0.1:${hub.grpcPort}`;
  // `serve` speaks TLS by default, with a CA it created in its data dir.
  const creds = grpc.credentials.createSsl(readFileSync(join(dataDir, 'tls', 'ca.crt')));
  const bearer = (token: string) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    return md;
  };
  return {
    adminToken: () => readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(),

    async api<T = Record<string, unknown>>(token: string, method: string, path: string, body?: unknown) {
      const res = await fetch(`${hub.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T } satisfies Reply<T>;
    },

    register: (r: RegisterRequest) =>
      new Promise<RegisterReply>((resolve, reject) =>
        new v1.Registration(grpcAddr, creds).Register(r, (e, res) =>
          e ? reject(e) : resolve(res as unknown as RegisterReply),
        ),
      ),

    open(credential: string, cluster: string): AgentStream {
      const call = new v1.AgentService(grpcAddr, creds).Connect(bearer(credential));
      const s: AgentStream = { desired: [], call: call as grpc.ClientDuplexStream<unknown, unknown> };
      call.on('data', (m: { desired?: Desired }) => m.desired && s.desired.push(m.desired));
      call.on('error', (e: grpc.ServiceError) => {
        s.ended = e;
        s.endedAt = performance.now();
      });
      call.write({ hello: { clusterId: cluster } });
      return s;
    },

    /** A FetchBundle call: 'ok' when the bytes came, else the status it ended with. */
    fetchBundle: (credential: string, digest: string) =>
      new Promise<grpc.ServiceError | 'ok'>((resolve) => {
        const call = new v1.AgentService(grpcAddr, creds).FetchBundle({ digest }, bearer(credential));
        call.on('data', () => undefined);
        call.on('error', (e: grpc.ServiceError) => resolve(e));
        call.on('end', () => resolve('ok'));
      }),
  };
}

/** The deployments of the last non-empty desired state a stream was sent. */
export const lastDeployments = (s: AgentStream) =>
  s.desired
    .filter((d) => d.deployments.length > 0)
    .at(-1)
    ?.deployments.map((r) => r.deployment) ?? [];
