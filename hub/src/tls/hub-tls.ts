// Transport security for the hub's gRPC endpoint: its own CA for a quick start (or the operator's
// certificate), server certificate renewal, and client certificates for mutual TLS.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { FlotillaError } from '@flotilla/proto';
import { pki } from '@flotilla/proto/runtime';
import { AgentAuthError } from '../protocol/registration.js';
import type { TlsSource } from '../protocol/h2/server.js';
import { CertificateProvider } from './provider.js';
import { readPem, writePrivate, writePublic } from './files.js';

export class TlsSetupError extends FlotillaError {
  readonly code = 'TLS_SETUP';
}

export interface TlsConfig {
  /** auto: the hub's CA signs its server certificate; files: the operator's; insecure: plaintext. */
  mode: 'auto' | 'files' | 'insecure';
  certFile?: string;
  keyFile?: string;
  /** Extra names and addresses for the auto server certificate (DNS names or IPs). */
  sans: string[];
  /** CA bundle that client certificates must chain to; default: the hub's CA. Implies mtls. */
  clientCaFile?: string;
  /** Require a client certificate naming the cluster on the agent streams. */
  mtls: boolean;
}

export const DEFAULT_SANS = ['localhost', '127.0.0.1', '::1'] as const;
/** Renewed when less than this remains: a third of the default one-year lifetime. */
const RENEW_BEFORE_MS = 120 * 86_400_000;

/** What startGrpcServer needs from TLS; absent means plaintext. */
export interface HubTls {
  /** Server certificate and client CA, for the gRPC server; changes when the certificate is renewed. */
  source: TlsSource;
  requireClientCertificate: boolean;
  /**
   * The CA (PEM) agents trust for the server certificate, handed to them at registration: the hub's
   * own CA (--tls auto), or the root at the end of an operator's chain; absent when that chain has none.
   */
  caCertificatePem?: string;
  /** sha256 pin of that CA's public key, for agents' --hub-ca-hash. */
  caPin?: string;
  /**
   * Checks an agent's signing request before its token is spent; the returned function issues the
   * certificate once the cluster is known. Undefined when the hub does not issue client certificates.
   */
  clientCertificateSigner?: (csrPem: string) => (cluster: string) => string;
  /** Refuses a call on an agent stream without a client certificate for `cluster`. */
  checkPeer(call: PeerCall, cluster: string): void;
  /** Renews the auto server certificate when it nears expiry; true when renewed. */
  renewIfDue(now?: Date): boolean;
  /** The server certificate in use: names and expiry, for the log. */
  serverCertificate(): { subjectAltName: string; validTo: string; issuer: string };
}

export const tlsPaths = (dataDir: string) => {
  const dir = join(dataDir, 'tls');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
  };
};

/** The hub's CA from the data dir, created (key mode 0600) on first use. */
export function loadOrCreateAuthority(dataDir: string, now = new Date()): pki.Authority {
  const p = tlsPaths(dataDir);
  if (!existsSync(p.caCert) || !existsSync(p.caKey)) {
    const created = pki.createAuthority({ commonName: 'Flotilla hub CA', now });
    writePrivate(p.caKey, created.privateKeyPem);
    writePublic(p.caCert, created.certificatePem);
  }
  const certificatePem = readPem(p.caCert, 'the hub CA certificate');
  const keyPem = readPem(p.caKey, 'the hub CA key');
  return { certificatePem, privateKey: createPrivateKey(keyPem) };
}

function wantedNames(sans: readonly string[]) {
  const all = [...new Set([...DEFAULT_SANS, ...sans])];
  return { dnsNames: all.filter((n) => !isIP(n)), ipAddresses: all.filter((n) => isIP(n)) };
}

/** Why the auto server certificate must be (re)issued, or undefined when it is good. */
function renewalReason(dataDir: string, ca: pki.Authority, sans: readonly string[], now: Date): string | undefined {
  const p = tlsPaths(dataDir);
  if (!existsSync(p.serverCert) || !existsSync(p.serverKey)) return 'missing';
  const cert = new X509Certificate(readPem(p.serverCert, 'the server certificate'));
  if (!cert.checkIssued(new X509Certificate(ca.certificatePem))) return 'issued by another CA';
  if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_MS) return 'expiring';
  const names = wantedNames(sans);
  const has = cert.subjectAltName ?? '';
  const missing = [
    ...names.dnsNames.filter((d) => !has.includes(`DNS:${d}`)),
    ...names.ipAddresses.filter((ip) => cert.checkIP(ip) === undefined),
  ];
  return missing.length > 0 ? `names added: ${missing.join(', ')}` : undefined;
}

function issueServer(dataDir: string, ca: pki.Authority, sans: readonly string[], now: Date): void {
  const p = tlsPaths(dataDir);
  const pair = pki.issueServerCertificate(ca, { commonName: 'flotilla-hub', ...wantedNames(sans), now });
  writePrivate(p.serverKey, pair.privateKeyPem);
  // The chain ends with the CA so that an agent pinning its hash finds it in the handshake.
  writePublic(p.serverCert, pair.certificatePem + ca.certificatePem);
}

function operatorPair(cfg: TlsConfig): { cert: string; key: string } {
  if (!cfg.certFile || !cfg.keyFile) throw new TlsSetupError('--tls-cert and --tls-key are both required');
  const cert = readPem(cfg.certFile, '--tls-cert');
  const key = readPem(cfg.keyFile, '--tls-key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new TlsSetupError(`--tls-cert ${cfg.certFile} is not a PEM certificate`, { cause: err });
  }
  if (!leaf.checkPrivateKey(createPrivateKey(key))) {
    throw new TlsSetupError(`--tls-key ${cfg.keyFile} is not the private key of --tls-cert ${cfg.certFile}`);
  }
  return { cert, key };
}

/** Sets up TLS for the gRPC endpoint from the config; undefined for --insecure. */
export function setupHubTls(dataDir: string, cfg: TlsConfig, now = new Date()): HubTls | undefined {
  if (cfg.mode === 'insecure') return undefined;
  const ca = loadOrCreateAuthority(dataDir, now);
  const p = tlsPaths(dataDir);
  const provider = new CertificateProvider();
  const load = () => {
    const pair =
      cfg.mode === 'files'
        ? operatorPair(cfg)
        : { cert: readPem(p.serverCert, 'the server certificate'), key: readPem(p.serverKey, 'the server key') };
    provider.setIdentity(pair.cert, pair.key);
  };
  const renewIfDue = (at = new Date()) => {
    if (cfg.mode !== 'auto' || !renewalReason(dataDir, ca, cfg.sans, at)) return false;
    issueServer(dataDir, ca, cfg.sans, at);
    load();
    return true;
  };
  if (cfg.mode === 'auto') renewIfDue(now);
  load();
  const clientCa = cfg.clientCaFile ? readPem(cfg.clientCaFile, '--tls-client-ca') : ca.certificatePem;
  provider.setCa(clientCa);
  const requireClientCertificate = cfg.mtls || cfg.clientCaFile !== undefined;
  const serverCa = cfg.mode === 'auto' ? ca.certificatePem : rootOfChain(provider.certificate());
  return {
    // Client certificates are asked for but not demanded in the handshake: registration must work
    // without one (the token authenticates it); the agent streams demand one in checkPeer.
    source: provider,
    requireClientCertificate,
    ...(serverCa ? { caCertificatePem: serverCa, caPin: pki.publicKeyPin(serverCa) } : {}),
    ...(cfg.clientCaFile
      ? {}
      : {
          clientCertificateSigner: (csrPem: string) => {
            const { publicKey } = pki.parseCsr(csrPem);
            return (cluster: string) => pki.issueClientCertificate(ca, { cluster, publicKey });
          },
        }),
    checkPeer: (call, cluster) => {
      if (requireClientCertificate) checkClientCertificate(call, cluster);
    },
    renewIfDue,
    serverCertificate: () => {
      const c = new X509Certificate(provider.certificate());
      return { subjectAltName: c.subjectAltName ?? '', validTo: c.validTo, issuer: c.issuer };
    },
  };
}

/** The self-signed CA at the end of an operator's certificate chain, when the chain carries it. */
function rootOfChain(chainPem: string): string | undefined {
  const certs = pki.pemDecode(chainPem, 'CERTIFICATE').map((d) => new X509Certificate(d));
  const root = certs.slice(1).find((c) => c.ca && c.checkIssued(c));
  return root ? pki.pemEncode('CERTIFICATE', root.raw) : undefined;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** A server call as far as its TLS peer goes (grpc-js gives the certificate only when it verified). */
export interface PeerCall {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
}

/** The verified client certificate of a call must name `cluster` (SAN URI, or CN for operator CAs). */
export function checkClientCertificate(call: PeerCall, cluster: string): void {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw) {
    throw new AgentAuthError(
      'CLIENT_CERT_MISSING',
      `cluster ${cluster} connected without a client certificate signed by the hub's client CA; ` +
        'this hub requires mutual TLS: register the agent again (it then receives one) or give it --tls-cert/--tls-key',
    );
  }
  const cert = new X509Certificate(raw);
  if (cert.keyUsage !== undefined && !cert.keyUsage.includes(CLIENT_AUTH)) {
    throw new AgentAuthError(
      'CLIENT_CERT_MISMATCH',
      `the client certificate ${cert.subject} is not for client authentication`,
    );
  }
  const named = pki.clusterOfCertificate(cert) ?? /(?:^|\n)CN=(.*)/.exec(cert.subject)?.[1];
  if (named !== cluster) {
    throw new AgentAuthError(
      'CLIENT_CERT_MISMATCH',
      `the client certificate names cluster ${named ?? '(none)'}, but the credential is cluster ${cluster}'s`,
    );
  }
}
