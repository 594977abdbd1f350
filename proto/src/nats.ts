import { createHash } from 'node:crypto';
import { loadFlotillaProto } from './loader.js';
import { agentMessageDeserializer } from './fast-decode.js';
import type { AgentMessage, AgentMessage__Output } from './gen/flotilla/v1/AgentMessage.js';
import type { BundleChunk, BundleChunk__Output } from './gen/flotilla/v1/BundleChunk.js';
import type { FetchBundleRequest, FetchBundleRequest__Output } from './gen/flotilla/v1/FetchBundleRequest.js';
import type { HubMessage, HubMessage__Output } from './gen/flotilla/v1/HubMessage.js';
import type { RegisterRequest, RegisterRequest__Output } from './gen/flotilla/v1/RegisterRequest.js';
import type { RegisterResponse, RegisterResponse__Output } from './gen/flotilla/v1/RegisterResponse.js';

/**
 * The hub <-> agent protocol over NATS JetStream: the same protobuf messages as the gRPC service,
 * on these subjects. Every subject an agent may use carries its cluster's token, so that per-cluster
 * NATS permissions (see the hub's nats-auth) confine an agent to its own subjects.
 *
 *   flotilla.register                       request  RegisterRequest -> RegisterResponse (sealed to the agent's xkey)
 *   flotilla.agent.<cluster>.hello          request  AgentMessage{hello} -> HubMessage{desired} (+ welcome headers)
 *   flotilla.agent.<cluster>.fetch          request  FetchBundleRequest -> BundleChunk... (until `last`)
 *   flotilla.agent.<cluster>.heartbeat      publish  AgentMessage{heartbeat} (core: losing one is harmless)
 *   flotilla.report.<cluster>.status|drift  JetStream stream FLOTILLA_REPORTS (at-least-once, hub acks);
 *                                           a batch of statuses goes on .status too
 *   $KV.flotilla-desired.<cluster>          KV bucket: the cluster's desired state, HubMessage{desired}
 *   _INBOX.<cluster>.>                      the agent's reply subjects
 */
export const NATS = {
  register: 'flotilla.register',
  registerInbox: '_INBOX.register',
  desiredBucket: 'flotilla-desired',
  bundleBucket: 'flotilla-bundles',
  reportStream: 'FLOTILLA_REPORTS',
  hubConsumer: 'flotilla-hub',
  hubQueue: 'flotilla-hub',
  /** Header carrying the agent's credential: `Bearer flagt_...`. */
  authHeader: 'Authorization',
  /** Header naming a refused request's error code; the body is the message. */
  errorHeader: 'Flotilla-Error',
  heartbeatHeader: 'Flotilla-Heartbeat-Seconds',
  /**
   * When the hub computed a desired state (ms, increasing): a hello's answer and a KV push travel
   * different paths, and the agent drops whichever is older than what it already took.
   */
  desiredAtHeader: 'Flotilla-Desired-At',
  hubVersionHeader: 'Flotilla-Hub-Version',
  /** On a hello's answer: the hub folds AgentMessage.statuses (Welcome.status_batches over gRPC). */
  statusBatchesHeader: 'Flotilla-Status-Batches',
  /** Registration: the agent's NATS user public key (the hub signs a user JWT for it) and its xkey. */
  userKeyHeader: 'Flotilla-User-Key',
  xkeyHeader: 'Flotilla-Xkey',
  hubXkeyHeader: 'Flotilla-Hub-Xkey',
  userJwtHeader: 'Flotilla-User-Jwt',
} as const;

/**
 * A cluster's name as one subject token. Names made of letters, digits, '-' and '_' are used as they
 * are (readable subjects); any other name becomes a stable hash, since '.', '*', '>' and spaces
 * would change the subject's shape.
 */
export function clusterToken(cluster: string): string {
  if (/^[A-Za-z0-9_-]{1,64}$/.test(cluster)) return cluster;
  return `h${createHash('sha256').update(cluster).digest('hex').slice(0, 40)}`;
}

export const agentSubject = (cluster: string, verb: 'hello' | 'fetch' | 'heartbeat') =>
  `flotilla.agent.${clusterToken(cluster)}.${verb}`;
export const reportSubject = (cluster: string, kind: 'status' | 'drift') =>
  `flotilla.report.${clusterToken(cluster)}.${kind}`;
export const desiredKey = (cluster: string) => clusterToken(cluster);
export const desiredSubject = (cluster: string) => `$KV.${NATS.desiredBucket}.${clusterToken(cluster)}`;
export const agentInbox = (cluster: string) => `_INBOX.${clusterToken(cluster)}`;

/** Splits `flotilla.<kind>.<token>.<verb>` into the cluster token and the verb. */
export function parseAgentSubject(subject: string): { token: string; verb: string } | undefined {
  const parts = subject.split('.');
  return parts.length === 4 && parts[0] === 'flotilla' ? { token: parts[2]!, verb: parts[3]! } : undefined;
}

/** The NATS `.creds` layout: the user JWT, then the user's nkey seed. Keep it mode 0600. */
export function natsCreds(jwt: string, seed: string): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '-----BEGIN USER NKEY SEED-----',
    seed,
    '------END USER NKEY SEED------',
    '',
  ].join('\n');
}

interface Codec<In, Out> {
  encode(m: In): Uint8Array;
  decode(b: Uint8Array): Out;
}

export interface NatsCodecs {
  agent: Codec<AgentMessage, AgentMessage__Output>;
  hub: Codec<HubMessage, HubMessage__Output>;
  fetch: Codec<FetchBundleRequest, FetchBundleRequest__Output>;
  chunk: Codec<BundleChunk, BundleChunk__Output>;
  registerRequest: Codec<RegisterRequest, RegisterRequest__Output>;
  registerResponse: Codec<RegisterResponse, RegisterResponse__Output>;
}

let codecs: NatsCodecs | undefined;

/** Protobuf encoders for the NATS transport, the very serializers the gRPC service uses. */
export function natsCodecs(): NatsCodecs {
  if (codecs) return codecs;
  const v1 = loadFlotillaProto().flotilla.v1;
  const { Connect, FetchBundle } = v1.AgentService.service;
  const { Register } = v1.Registration.service;
  const pair = <In, Out>(enc: (m: In) => Buffer, dec: (b: Buffer) => Out): Codec<In, Out> => ({
    encode: (m) => enc(m),
    decode: (b) => dec(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  });
  codecs = {
    // The hub decodes every report: status and heartbeat without the generic path's Long round trip.
    agent: pair(Connect.requestSerialize, agentMessageDeserializer(Connect.requestDeserialize)),
    hub: pair(Connect.responseSerialize, Connect.responseDeserialize),
    fetch: pair(FetchBundle.requestSerialize, FetchBundle.requestDeserialize),
    chunk: pair(FetchBundle.responseSerialize, FetchBundle.responseDeserialize),
    registerRequest: pair(Register.requestSerialize, Register.requestDeserialize),
    registerResponse: pair(Register.responseSerialize, Register.responseDeserialize),
  };
  return codecs;
}
