// How the agent trusts the hub and proves who it is: the hub's CA from a file, or pinned by the hash
// of its public key and fetched on first contact (like kubeadm's discovery-token-ca-cert-hash); and a
// client certificate the hub issues at registration for a key that never leaves the agent.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { FlotillaError } from '@flotilla/proto';
import { pki } from '@flotilla/proto/runtime';
import { HubChannelCredentials } from './hub-credentials.js';

export class HubTlsError extends FlotillaError {
  constructor(
    readonly code:
      'HUB_UNTRUSTED' | 'HUB_NAME_MISMATCH' | 'HUB_CERT_EXPIRED' | 'HUB_NOT_TLS' | 'HUB_CA_PIN' | 'HUB_CA_FILE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a transport needs from transport security: credentials per connection, and registration hooks. */
export interface ChannelSecurity {
  credentials(): Promise<grpc.ChannelCredentials>;
  channelOptions(): grpc.ChannelOptions;
  /** A signing request for a client certificate, when the agent has none yet. */
  csr(): string | undefined;
  /** Keeps what registration returned (the client certificate). */
  issued(r: { clientCertificatePem: string; caCertificatePem: string }): void;
  /** A connection failure, explained when TLS caused it; other errors unchanged. */
  explain(err: unknown): unknown;
  /** A signing request for a new key when the client certificate nears expiry. */
  renewalCsr?(): string | undefined;
  /** Puts the renewed certificate (and the new key) in place. */
  renewed?(certificatePem: string): void;
}

export interface AgentTlsConfig {
  /** host:port of the hub, for the first-contact fetch of a pinned CA. */
  address: string;
  /** PEM file of the CA(s) the hub's certificate must chain to. */
  caFile?: string;
  /** sha256:<hex> of the hub CA's public key (`flotilla-hub ca hash`). */
  caPin?: string;
  /** Where the CA found through the pin is kept for later connections. */
  discoveredCaFile: string;
  /** The name the hub's certificate must carry, when it is not the host dialled. */
  serverName?: string;
  /** The agent's client certificate and key; obtained at registration when absent. */
  certFile: string;
  keyFile: string;
  /** Renew the client certificate through the hub (not for certificates the operator provides). Default true. */
  renewable?: boolean;
  /** Renew when less than this remains (default 120 days: a third of the hub's one-year certificates). */
  renewBeforeMs?: number;
  clock?: () => Date;
}

const PIN = pki.PIN_FORMAT;

function writeFile(path: string, text: string, mode: number) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, text, { mode });
  renameSync(`${path}.tmp`, path);
}

const certificates = (pem: string): X509Certificate[] =>
  pki.pemDecode(pem, 'CERTIFICATE').map((der) => new X509Certificate(der));

export class AgentTls implements ChannelSecurity {
  constructor(private readonly c: AgentTlsConfig) {
    if (c.caPin !== undefined && !PIN.test(c.caPin)) {
      throw new HubTlsError(
        'HUB_CA_PIN',
        `--hub-ca-hash "${c.caPin}" is not sha256:<64 hex digits> (flotilla-hub ca hash)`,
      );
    }
  }

  private get host(): string {
    return this.c.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  }

  async credentials(): Promise<grpc.ChannelCredentials> {
    const ca = await this.trustedCa();
    const haveCert = existsSync(this.c.certFile) && existsSync(this.c.keyFile);
    return new HubChannelCredentials({
      host: this.host,
      ...(this.c.serverName ? { serverName: this.c.serverName } : {}),
      ...(ca ? { ca: Buffer.from(ca) } : {}),
      ...(haveCert ? { key: readFileSync(this.c.keyFile), cert: readFileSync(this.c.certFile) } : {}),
    });
  }

  channelOptions(): grpc.ChannelOptions {
    return this.c.serverName ? { 'grpc.ssl_target_name_override': this.c.serverName } : {};
  }

  /** The CA PEM to trust; undefined means the system's roots (a hub with a publicly trusted certificate). */
  private async trustedCa(): Promise<string | undefined> {
    if (this.c.caFile) {
      const pem = readFileSync(this.c.caFile, 'utf8');
      if (certificates(pem).length === 0) {
        throw new HubTlsError(
          'HUB_CA_FILE',
          `--hub-ca ${this.c.caFile} holds no PEM certificate: put the hub's CA there (flotilla-hub ca show)`,
        );
      }
      if (this.c.caPin && !certificates(pem).some((c) => pki.publicKeyPin(c.toString()) === this.c.caPin)) {
        throw new HubTlsError(
          'HUB_CA_PIN',
          `no certificate in --hub-ca ${this.c.caFile} matches --hub-ca-hash ${this.c.caPin}`,
        );
      }
      return pem;
    }
    if (!this.c.caPin) return undefined;
    if (existsSync(this.c.discoveredCaFile)) {
      const pem = readFileSync(this.c.discoveredCaFile, 'utf8');
      if (pki.publicKeyPin(pem) === this.c.caPin) return pem;
    }
    const pem = await this.discoverPinnedCa(this.c.caPin);
    writeFile(this.c.discoveredCaFile, pem, 0o644);
    return pem;
  }

  /**
   * Reads the hub's certificate chain without trusting it, and keeps the CA whose key matches the
   * pin, provided it signed the hub's certificate. The name check happens on the real connection.
   */
  private async discoverPinnedCa(pin: string): Promise<string> {
    const port = Number(/:(\d+)$/.exec(this.c.address)?.[1] ?? 443);
    const chain = await pki
      .peerChain({
        host: this.host,
        port,
        ...(this.c.serverName ? { serverName: this.c.serverName } : {}),
        alpn: ['h2'],
      })
      .catch((err: unknown) => {
        throw this.explain(err);
      });
    const found = pki.pinnedCaOf(chain, pin);
    if ('why' in found) {
      throw new HubTlsError(
        'HUB_CA_PIN',
        `the hub at ${this.c.address}: ${found.why.replace(pin, `--hub-ca-hash ${pin}`)}; check the hash with flotilla-hub ca hash`,
      );
    }
    return found.ca.toString();
  }

  csr(): string | undefined {
    if (existsSync(this.c.certFile)) return undefined;
    if (!existsSync(this.c.keyFile))
      writeFile(this.c.keyFile, pki.privateKeyPem(pki.generateKeyPair().privateKey), 0o600);
    return pki.createCsr(pki.loadPrivateKey(readFileSync(this.c.keyFile, 'utf8')), 'flotilla-agent');
  }

  renewalCsr(): string | undefined {
    if (this.c.renewable === false || !existsSync(this.c.certFile)) return undefined;
    const now = (this.c.clock ?? (() => new Date()))();
    const left = pki.expiresInMs(readFileSync(this.c.certFile, 'utf8'), now);
    if (left > (this.c.renewBeforeMs ?? 120 * 86_400_000)) return undefined;
    const next = `${this.c.keyFile}.next`;
    if (!existsSync(next)) writeFile(next, pki.privateKeyPem(pki.generateKeyPair().privateKey), 0o600);
    return pki.createCsr(pki.loadPrivateKey(readFileSync(next, 'utf8')), 'flotilla-agent');
  }

  renewed(certificatePem: string): void {
    writeFile(`${this.c.certFile}.next`, certificatePem, 0o644);
    renameSync(`${this.c.keyFile}.next`, this.c.keyFile);
    renameSync(`${this.c.certFile}.next`, this.c.certFile);
  }

  issued(r: { clientCertificatePem: string; caCertificatePem: string }): void {
    if (r.clientCertificatePem) writeFile(this.c.certFile, r.clientCertificatePem, 0o644);
  }

  explain(err: unknown): unknown {
    const text = err instanceof Error ? `${err.message} ${(err as { details?: string }).details ?? ''}` : String(err);
    const at = `the hub at ${this.c.address}`;
    const hint = (code: HubTlsError['code'], message: string) => new HubTlsError(code, message, { cause: err });
    if (
      /self[- ]signed certificate|unable to get local issuer|unable to verify the first certificate|certificate signature failure/i.test(
        text,
      )
    ) {
      return hint(
        'HUB_UNTRUSTED',
        `${at} presented a certificate this agent does not trust: give the hub's CA with --hub-ca FILE ` +
          '(flotilla-hub ca show) or pin it with --hub-ca-hash sha256:... (flotilla-hub ca hash)',
      );
    }
    if (/certificate has expired|certificate is not yet valid/i.test(text)) {
      return hint(
        'HUB_CERT_EXPIRED',
        `${at} presented a certificate outside its validity period (${text.trim()}); renew it on the hub`,
      );
    }
    if (/does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text)) {
      return hint(
        'HUB_NAME_MISMATCH',
        `${at}: its certificate does not name ${this.c.serverName ?? this.host}; add the name to the hub's --tls-san, or give this agent --tls-server-name`,
      );
    }
    if (/wrong version number|packet length too long|EPROTO|http\/1\.1|Protocol error/i.test(text)) {
      return hint(
        'HUB_NOT_TLS',
        `${at} does not speak TLS (is it running with --insecure?); the agent takes --insecure only for tests`,
      );
    }
    return err;
  }
}

/** The TLS flags of `flotilla-agent run`, as parsed (files relative to the state dir when not given). */
export interface AgentTlsFlags {
  caFile?: string;
  caPin?: string;
  serverName?: string;
  certFile?: string;
  keyFile?: string;
}

const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes'].includes(v.toLowerCase());

/**
 * --hub-ca FILE, --hub-ca-hash sha256:..., --tls-server-name, --tls-cert/--tls-key, or --insecure
 * (then undefined). Without a CA or a pin the system's roots are trusted.
 */
export function parseAgentTlsFlags(
  v: {
    'hub-ca'?: string;
    'hub-ca-hash'?: string;
    'tls-server-name'?: string;
    'tls-cert'?: string;
    'tls-key'?: string;
    insecure?: boolean;
  },
  env: NodeJS.ProcessEnv,
): AgentTlsFlags | undefined {
  const f: AgentTlsFlags = {
    ...((v['hub-ca'] ?? env.FLOTILLA_HUB_CA) ? { caFile: v['hub-ca'] ?? env.FLOTILLA_HUB_CA } : {}),
    ...((v['hub-ca-hash'] ?? env.FLOTILLA_HUB_CA_HASH) ? { caPin: v['hub-ca-hash'] ?? env.FLOTILLA_HUB_CA_HASH } : {}),
    ...((v['tls-server-name'] ?? env.FLOTILLA_TLS_SERVER_NAME)
      ? { serverName: v['tls-server-name'] ?? env.FLOTILLA_TLS_SERVER_NAME }
      : {}),
    ...((v['tls-cert'] ?? env.FLOTILLA_TLS_CERT) ? { certFile: v['tls-cert'] ?? env.FLOTILLA_TLS_CERT } : {}),
    ...((v['tls-key'] ?? env.FLOTILLA_TLS_KEY) ? { keyFile: v['tls-key'] ?? env.FLOTILLA_TLS_KEY } : {}),
  };
  if (Boolean(f.certFile) !== Boolean(f.keyFile)) throw new Error('run: --tls-cert and --tls-key go together');
  if (f.caPin !== undefined && !PIN.test(f.caPin)) {
    throw new Error(`run: --hub-ca-hash "${f.caPin}" is not sha256:<64 hex digits> (flotilla-hub ca hash prints it)`);
  }
  if (!(v.insecure ?? truthy(env.FLOTILLA_INSECURE))) return f;
  if (Object.keys(f).length > 0) {
    const flag = {
      caFile: '--hub-ca',
      caPin: '--hub-ca-hash',
      serverName: '--tls-server-name',
      certFile: '--tls-cert',
      keyFile: '--tls-key',
    };
    const given = Object.keys(f).map((k) => flag[k as keyof AgentTlsFlags]);
    throw new Error(`run: --insecure turns TLS off; drop it or drop ${given.join(', ')}`);
  }
  return undefined;
}
