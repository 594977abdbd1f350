// The hub's own certificate authority, for a quick start without an external PKI: it signs the hub's
// server certificate and, with mutual TLS, one client certificate per cluster.
import { createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createCertificate, generateKeyPair, privateKeyPem } from './x509.js';

export { createCsr, parseCsr } from './csr.js';
export { peerChain, pinnedCaOf, PIN_FORMAT, type PeerAddress } from './pin.js';
export {
  CertificateError,
  createCertificate,
  generateKeyPair,
  loadPrivateKey,
  pemDecode,
  pemEncode,
  privateKeyPem,
  publicKeyPin,
  type CertificateSpec,
  type ExtendedKeyUsage,
} from './x509.js';

const DAY_MS = 86_400_000;
/** Tolerates clocks a few minutes behind the issuer's. */
const BACKDATE_MS = 5 * 60_000;

export interface IssuedPair {
  certificatePem: string;
  privateKeyPem: string;
}

export interface Authority {
  certificatePem: string;
  privateKey: KeyObject;
}

/** The SAN URI naming a cluster in its client certificate. */
export const clusterUri = (cluster: string): string => `flotilla://cluster/${encodeURIComponent(cluster)}`;

/** The cluster a client certificate names (its SAN URI), or undefined. */
export function clusterOfCertificate(cert: X509Certificate): string | undefined {
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    const m = /^URI:flotilla:\/\/cluster\/(.+)$/.exec(entry);
    if (m?.[1]) return decodeURIComponent(m[1]);
  }
  return undefined;
}

const validity = (now: Date, days: number) => ({
  notBefore: new Date(now.getTime() - BACKDATE_MS),
  notAfter: new Date(now.getTime() + days * DAY_MS),
});

export function createAuthority(o: { commonName: string; validDays?: number; now?: Date }): IssuedPair {
  const { privateKey, publicKey } = generateKeyPair();
  const certificatePem = createCertificate({
    subject: { commonName: o.commonName, organization: 'Flotilla' },
    publicKey,
    selfSigningKey: privateKey,
    isCa: true,
    ...validity(o.now ?? new Date(), o.validDays ?? 3650),
  });
  return { certificatePem, privateKeyPem: privateKeyPem(privateKey) };
}

export function issueServerCertificate(
  ca: Authority,
  o: {
    commonName: string;
    dnsNames: readonly string[];
    ipAddresses: readonly string[];
    validDays?: number;
    now?: Date;
  },
): IssuedPair {
  const { privateKey, publicKey } = generateKeyPair();
  const certificatePem = createCertificate({
    subject: { commonName: o.commonName, organization: 'Flotilla' },
    publicKey,
    issuer: ca,
    extKeyUsage: ['serverAuth'],
    dnsNames: o.dnsNames,
    ipAddresses: o.ipAddresses,
    ...validity(o.now ?? new Date(), o.validDays ?? 365),
  });
  return { certificatePem, privateKeyPem: privateKeyPem(privateKey) };
}

/** A client certificate for a cluster's agent: CN and SAN URI name the cluster. */
export function issueClientCertificate(
  ca: Authority,
  o: { cluster: string; publicKey: KeyObject; validDays?: number; now?: Date },
): string {
  return createCertificate({
    subject: { commonName: o.cluster, organization: 'Flotilla agents' },
    publicKey: o.publicKey.type === 'private' ? createPublicKey(o.publicKey) : o.publicKey,
    issuer: ca,
    extKeyUsage: ['clientAuth'],
    uris: [clusterUri(o.cluster)],
    ...validity(o.now ?? new Date(), o.validDays ?? 365),
  });
}

/** Milliseconds until a certificate expires (negative once expired). */
export const expiresInMs = (certificatePem: string, now = new Date()): number =>
  Date.parse(new X509Certificate(certificatePem).validTo) - now.getTime();
