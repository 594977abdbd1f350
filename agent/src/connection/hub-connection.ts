import * as grpc from '@grpc/grpc-js';
import { type AgentMessage, type BundleChunk__Output, type Hello, type HubMessage__Output } from '@flotilla/proto';
import { loadFlotillaProto } from '@flotilla/proto/runtime';
import { AgentSession, type AgentSessionOptions, type BundleSink, type HubLink } from './agent-session.js';
import type { ChannelSecurity } from './tls.js';

export interface HubConnectionOptions extends AgentSessionOptions {
  /** host:port of the hub's gRPC endpoint. */
  address: string;
  channelCredentials?: grpc.ChannelCredentials;
  /** TLS to the hub (AgentTls): wins over channelCredentials, and gets a client certificate at registration. */
  security?: ChannelSecurity;
}

type Stream = grpc.ClientDuplexStream<AgentMessage, HubMessage__Output>;
type AgentClient = InstanceType<ReturnType<typeof loadFlotillaProto>['flotilla']['v1']['AgentService']>;

/** The agent's side over gRPC: one bidirectional stream per connection, bundles by a FetchBundle call. */
export class HubConnection extends AgentSession {
  private readonly v1 = loadFlotillaProto().flotilla.v1;
  private readonly creds: grpc.ChannelCredentials;
  private stream: Stream | undefined;

  constructor(
    private readonly o: HubConnectionOptions,
    sink: BundleSink,
  ) {
    super(o, sink);
    this.creds = o.channelCredentials ?? grpc.credentials.createInsecure();
  }

  private metadata(credential: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${credential}`);
    return md;
  }

  /** Credentials for the next connection: with TLS they change once a client certificate is issued. */
  private async channel(): Promise<[grpc.ChannelCredentials, grpc.ChannelOptions]> {
    const sec = this.o.security;
    return sec ? [await sec.credentials(), sec.channelOptions()] : [this.creds, {}];
  }

  protected async register(token: string, retryKey: string): Promise<string> {
    const client = new this.v1.Registration(this.o.address, ...(await this.channel()));
    try {
      type Registered = { credential: string; clientCertificatePem: string; caCertificatePem: string };
      const res = await new Promise<Registered>((resolve, reject) =>
        client.Register(
          {
            token,
            clusterName: this.o.clusterName,
            agentVersion: this.o.agentVersion ?? '',
            kubernetesVersion: this.o.kubernetesVersion ?? '',
            clientCsrPem: this.o.security?.csr() ?? '',
            retryKey,
          },
          (err, r) =>
            err || !r ? reject(this.o.security?.explain(err) ?? err ?? new Error('empty response')) : resolve(r),
        ),
      );
      this.o.security?.issued(res);
      return res.credential;
    } finally {
      client.close();
    }
  }

  /** A new client certificate while the current one still works; on failure the current one is kept. */
  private async renewClientCertificate(credential: string): Promise<void> {
    const csr = this.o.security?.renewalCsr?.();
    if (!csr) return;
    const client = new this.v1.Registration(this.o.address, ...(await this.channel()));
    try {
      const res = await new Promise<{ clientCertificatePem: string }>((resolve, reject) =>
        client.RenewClientCertificate({ clientCsrPem: csr }, this.metadata(credential), (err, r) =>
          err || !r ? reject(err ?? new Error('empty response')) : resolve(r),
        ),
      );
      this.o.security?.renewed?.(res.clientCertificatePem);
      this.event('clientCertificateRenewed');
    } catch (err) {
      this.event('clientCertificateRenewalFailed', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      client.close();
    }
  }

  /** One stream, until it ends. */
  protected async serve(credential: string, hello: Hello): Promise<void> {
    await this.renewClientCertificate(credential);
    const [creds, options] = await this.channel();
    return new Promise((resolve, reject) => {
      const client = new this.v1.AgentService(this.o.address, creds, {
        ...options,
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
      });
      const stream = client.Connect(this.metadata(credential));
      this.stream = stream;
      const link: HubLink = {
        send: (m) => stream.write(m),
        fetch: (digest) => this.fetch(client, credential, digest),
      };
      stream.on('data', (m: HubMessage__Output) => this.onHubMessage(m, link));
      const done = (err?: Error) => {
        this.stream = undefined;
        client.close();
        if (err) reject(this.o.security?.explain(err) ?? err);
        else resolve();
      };
      stream.on('error', (err) => done(err));
      stream.on('end', () => done());
      stream.write({ hello });
    });
  }

  protected close(): void {
    this.stream?.end();
  }

  private fetch(client: AgentClient, credential: string, digest: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      // Each chunk's bytes are a view of the message grpc-js received for it, not shared: kept as they
      // are, and a bundle in one message (most are) is not copied at all.
      const chunks: Buffer[] = [];
      const call = client.FetchBundle({ digest, offset: 0 }, this.metadata(credential));
      call.on('data', (c: BundleChunk__Output) => chunks.push(c.data));
      call.on('error', reject);
      call.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    });
  }
}
