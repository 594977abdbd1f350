import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  loadFlotillaProto,
  type AgentMessage,
  type BundleChunk__Output,
  type BundleRef__Output,
  type HubMessage__Output,
} from '@flotilla/proto';
import { optionsFromWire, type Bundle } from '../deployer/bundle.js';
import { toWireDrift, type DriftRecord } from '../deployer/drift.js';
import { toWireStatus, type BundleReport } from '../deployer/report.js';
import type { Enforcer } from '../enforcer/enforcer.js';
import { backoffDelay, type RetryPolicy } from '../kube/retry.js';
import { decodeBundle } from './bundle-bytes.js';

export interface HubConnectionOptions {
  /** host:port of the hub's gRPC endpoint. */
  address: string;
  clusterName: string;
  /** Where the per-cluster credential is kept (mode 0600). */
  credentialFile: string;
  /**
   * Where the last fully applied desired state (generation and refs) is kept, so that a restarted
   * agent says what it holds and an unchanged hub answers in a few bytes, with no refetch.
   */
  stateFile?: string;
  /** One-time registration token, used when there is no credential yet. */
  token?: string;
  agentVersion?: string;
  kubernetesVersion?: string;
  channelCredentials?: grpc.ChannelCredentials;
  random?: () => number;
  onEvent?: (event: string, detail?: Record<string, unknown>) => void;
}

type Stream = grpc.ClientDuplexStream<AgentMessage, HubMessage__Output>;

/** Reconnecting to the hub: the same jittered backoff as Kubernetes calls, slower and capped at 30 s. */
const RECONNECT: RetryPolicy = { retryForMs: Infinity, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * The agent's side of the protocol: registers once, then keeps one stream to the hub, reconnecting
 * with jittered backoff. Desired state arrives as (bundle id, digest, generation); bytes are fetched
 * only for digests the agent does not hold. While the hub is away the enforcer goes on alone.
 */
export class HubConnection {
  private readonly v1 = loadFlotillaProto().flotilla.v1;
  private readonly creds: grpc.ChannelCredentials;
  private stream: Stream | undefined;
  private stopped = false;
  private attempt = 0;
  private appliedGeneration = '0';
  private readonly refs = new Map<string, BundleRef__Output>();
  private heartbeat: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(
    private readonly o: HubConnectionOptions,
    private readonly enforcer: Enforcer,
  ) {
    this.creds = o.channelCredentials ?? grpc.credentials.createInsecure();
    this.loadState();
  }

  private loadState(): void {
    if (!this.o.stateFile || !existsSync(this.o.stateFile)) return;
    try {
      const st = JSON.parse(readFileSync(this.o.stateFile, 'utf8')) as {
        generation: string;
        refs: BundleRef__Output[];
      };
      this.appliedGeneration = st.generation;
      for (const r of st.refs) this.refs.set(r.bundleId, r);
    } catch {
      // A torn or foreign file: start from nothing; the hub then sends the full desired state.
    }
  }

  private saveState(): void {
    if (!this.o.stateFile) return;
    mkdirSync(dirname(this.o.stateFile), { recursive: true });
    const tmp = `${this.o.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ generation: this.appliedGeneration, refs: [...this.refs.values()] }));
    renameSync(tmp, this.o.stateFile);
  }

  private event(name: string, detail?: Record<string, unknown>) {
    this.o.onEvent?.(name, detail);
  }

  private metadata(credential: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${credential}`);
    return md;
  }

  /** The stored credential, registering with the token first when there is none. */
  async credential(): Promise<string> {
    if (existsSync(this.o.credentialFile)) return readFileSync(this.o.credentialFile, 'utf8').trim();
    if (!this.o.token) {
      throw new Error(`no credential in ${this.o.credentialFile} and no registration token; mint one on the hub`);
    }
    const client = new this.v1.Registration(this.o.address, this.creds);
    const res = await new Promise<{ credential: string }>((resolve, reject) =>
      client.Register(
        {
          token: this.o.token,
          clusterName: this.o.clusterName,
          agentVersion: this.o.agentVersion ?? '',
          kubernetesVersion: this.o.kubernetesVersion ?? '',
        },
        (err, r) => (err || !r ? reject(err ?? new Error('empty response')) : resolve(r)),
      ),
    );
    client.close();
    mkdirSync(dirname(this.o.credentialFile), { recursive: true });
    writeFileSync(this.o.credentialFile, `${res.credential}\n`, { mode: 0o600 });
    this.event('registered', { cluster: this.o.clusterName });
    return res.credential;
  }

  /** Runs until stop(): connect, serve, and on any failure wait and reconnect. */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const credential = await this.credential();
        await this.serve(credential);
        this.attempt = 0;
      } catch (err) {
        this.event('disconnected', { error: err instanceof Error ? err.message : String(err) });
      }
      if (this.stopped) break;
      const delay = backoffDelay(++this.attempt, RECONNECT, this.o.random ?? Math.random);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** One stream, until it ends. */
  private serve(credential: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const client = new this.v1.AgentService(this.o.address, this.creds, {
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
      });
      const stream = client.Connect(this.metadata(credential));
      this.stream = stream;
      stream.on('data', (m: HubMessage__Output) => {
        if (m.welcome) {
          this.attempt = 0;
          this.event('connected', { heartbeatSeconds: m.welcome.heartbeatSeconds });
          this.startHeartbeat(m.welcome.heartbeatSeconds || 15);
        } else if (m.desired) {
          const d = m.desired;
          this.work = this.work
            .then(() => this.onDesired(d, credential, client))
            .catch((err: unknown) => {
              this.event('desiredFailed', { error: err instanceof Error ? err.message : String(err) });
            });
        }
      });
      const done = (err?: Error) => {
        clearInterval(this.heartbeat);
        this.stream = undefined;
        client.close();
        if (err) reject(err);
        else resolve();
      };
      stream.on('error', (err) => done(err));
      stream.on('end', () => done());
      stream.write({
        hello: {
          clusterId: this.o.clusterName,
          agentVersion: this.o.agentVersion ?? '',
          kubernetesVersion: this.o.kubernetesVersion ?? '',
          held: [...this.refs.values()].map((r) => ({
            bundleId: r.bundleId,
            digest: r.digest,
            generation: r.generation,
          })),
          appliedGeneration: this.appliedGeneration,
        },
      });
    });
  }

  private startHeartbeat(seconds: number) {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(
      () => this.send({ heartbeat: { sentAtUnixMs: Date.now(), appliedGeneration: this.appliedGeneration } }),
      seconds * 1000,
    );
    this.heartbeat.unref();
  }

  private send(m: AgentMessage): void {
    this.stream?.write(m);
  }

  private async onDesired(
    d: NonNullable<HubMessage__Output['desired']>,
    credential: string,
    client: InstanceType<ReturnType<typeof loadFlotillaProto>['flotilla']['v1']['AgentService']>,
  ): Promise<void> {
    if (d.unchanged) {
      this.event('unchanged', { generation: d.generation });
      return;
    }
    const wanted = new Map(d.bundles.map((b) => [b.bundleId, b]));
    for (const ref of d.bundles) {
      const have = this.refs.get(ref.bundleId);
      if (
        have &&
        have.digest === ref.digest &&
        have.generation === ref.generation &&
        this.enforcer.report(ref.bundleId)
      ) {
        continue;
      }
      const bytes = await this.fetch(client, credential, ref.digest);
      const bundle: Bundle = {
        id: ref.bundleId,
        digest: ref.digest,
        revision: ref.revision,
        objects: decodeBundle(bytes, ref.digest, ref.bundleId),
        options: optionsFromWire(
          ref.options ?? {
            defaultNamespace: '',
            selfHeal: true,
            prune: true,
            forceConflicts: false,
            ignore: [],
            dependsOn: [],
          },
        ),
      };
      this.refs.set(ref.bundleId, ref);
      this.event('bundleFetched', { bundleId: ref.bundleId, digest: ref.digest, bytes: bytes.length });
      const report = await this.enforcer.set(bundle);
      if (report) this.report(report);
    }
    for (const id of this.enforcer.bundles()) {
      if (wanted.has(id)) continue;
      await this.enforcer.remove(id);
      this.refs.delete(id);
      this.event('bundleRemoved', { bundleId: id });
    }
    this.appliedGeneration = d.generation;
    this.saveState();
  }

  private fetch(
    client: InstanceType<ReturnType<typeof loadFlotillaProto>['flotilla']['v1']['AgentService']>,
    credential: string,
    digest: string,
  ): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const call = client.FetchBundle({ digest, offset: 0 }, this.metadata(credential));
      call.on('data', (c: BundleChunk__Output) => chunks.push(Buffer.from(c.data)));
      call.on('error', reject);
      call.on('end', () => resolve(Buffer.concat(chunks)));
    });
  }

  /** Sends a bundle's status (the enforcer calls this after every reconcile of it). */
  report(r: BundleReport): void {
    const ref = this.refs.get(r.bundleId);
    this.send({ status: toWireStatus(r, Number(ref?.generation ?? 0)) });
  }

  drift(d: DriftRecord): void {
    this.send({ drift: toWireDrift(d) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.stream?.end();
    this.wake?.();
    await this.work;
  }
}
