// X.509 v3 certificates (RFC 5280) built with node:crypto alone: ECDSA P-256 keys, SHA-256 signatures.
// Enough for a hub that is its own certificate authority: a self-signed CA, server certificates with
// DNS and IP subject alternative names, and client certificates that name a cluster.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { FlotillaError } from '../errors.js';
import * as der from './der.js';

export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Bit numbers of the KeyUsage BIT STRING (RFC 5280 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

export interface Name {
  commonName: string;
  organization?: string;
}

export interface CertificateSpec {
  subject: Name;
  publicKey: KeyObject;
  /** Who signs. Absent: self-signed with `selfSigningKey`. */
  issuer?: { certificatePem: string; privateKey: KeyObject };
  selfSigningKey?: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCa?: boolean;
  extKeyUsage?: readonly ExtendedKeyUsage[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  uris?: readonly string[];
}

/** A certificate, key or signing request that cannot be built or is not acceptable. */
export class CertificateError extends FlotillaError {
  readonly code = 'CERTIFICATE';
}

export function generateKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function pemEncode(label: string, derBytes: Uint8Array): string {
  const b64 = Buffer.from(derBytes).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** Every block with this label, in order (a chain or a bundle holds several). */
export function pemDecode(pem: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  return [...pem.matchAll(re)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

export const privateKeyPem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

export const loadPrivateKey = (pem: string): KeyObject => createPrivateKey(pem);

/** SubjectPublicKeyInfo, DER: what certificates embed and what key pinning hashes. */
export const spki = (publicKey: KeyObject): Buffer => publicKey.export({ type: 'spki', format: 'der' });

/** A 160-bit key identifier: the leftmost bits of the SHA-256 of the SubjectPublicKeyInfo. */
const keyIdentifier = (publicKey: KeyObject): Buffer =>
  createHash('sha256').update(spki(publicKey)).digest().subarray(0, 20);

/**
 * `sha256:<hex>` of a certificate's SubjectPublicKeyInfo, the pin an agent is given to trust a hub CA
 * on first contact (the same form as kubeadm's --discovery-token-ca-cert-hash). It survives the CA
 * being re-issued with the same key.
 */
export function publicKeyPin(certificatePem: string): string {
  const cert = new X509Certificate(certificatePem);
  return `sha256:${createHash('sha256').update(spki(cert.publicKey)).digest('hex')}`;
}

function encodeName(n: Name): Buffer {
  const rdn = (type: string, value: string) => der.set(der.sequence(der.oid(type), der.utf8(value)));
  return der.sequence(
    ...(n.organization ? [rdn(OID.organization, n.organization)] : []),
    rdn(OID.commonName, n.commonName),
  );
}

/** The subject Name of a certificate, byte for byte (an issued certificate's issuer must equal it). */
function subjectOf(certificateDer: Buffer): Buffer {
  const tbs = der.children(der.readElement(certificateDer))[0];
  if (!tbs) throw new CertificateError('issuer certificate has no TBSCertificate');
  const fields = der.children(tbs);
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject) throw new CertificateError('issuer certificate has no subject');
  return subject.raw;
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new CertificateError(`"${ip}" is not an IPv4 or IPv6 address`);
  const [head = '', tail] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(all.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(id), ...(critical ? [der.bool(true)] : []), der.octetString(value));
}

function extensions(s: CertificateSpec, issuerKey: KeyObject): Buffer[] {
  const out = [
    extension(
      OID.basicConstraints,
      true,
      s.isCa ? der.sequence(der.bool(true), der.unsignedInteger(0)) : der.sequence(),
    ),
    extension(
      OID.keyUsage,
      true,
      der.namedBits(
        s.isCa ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign] : [KEY_USAGE.digitalSignature],
      ),
    ),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(s.publicKey))),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, keyIdentifier(issuerKey)))),
  ];
  if (s.extKeyUsage?.length) {
    out.push(extension(OID.extKeyUsage, false, der.sequence(...s.extKeyUsage.map((u) => der.oid(OID[u])))));
  }
  const names = [
    ...(s.dnsNames ?? []).map((d) => der.implicit(2, der.ia5Bytes(d))),
    ...(s.uris ?? []).map((u) => der.implicit(6, der.ia5Bytes(u))),
    ...(s.ipAddresses ?? []).map((ip) => der.implicit(7, ipBytes(ip))),
  ];
  if (names.length > 0) out.push(extension(OID.subjectAltName, false, der.sequence(...names)));
  return out;
}

/** Builds, signs and PEM-encodes one certificate. */
export function createCertificate(s: CertificateSpec): string {
  if (s.notAfter <= s.notBefore)
    throw new CertificateError(`certificate for ${s.subject.commonName}: notAfter is not after notBefore`);
  const signingKey = s.issuer?.privateKey ?? s.selfSigningKey;
  if (!signingKey)
    throw new CertificateError(`certificate for ${s.subject.commonName}: no issuer and no self-signing key`);
  const issuerDer = s.issuer ? pemDecode(s.issuer.certificatePem, 'CERTIFICATE')[0] : undefined;
  if (s.issuer && !issuerDer) throw new CertificateError('issuer certificate is not a PEM CERTIFICATE');
  const issuerName = issuerDer ? subjectOf(issuerDer) : encodeName(s.subject);
  const issuerPublic = issuerDer ? new X509Certificate(issuerDer).publicKey : s.publicKey;
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  // 159 random bits: positive, at most 20 octets, unguessable (CA/B Forum asks for 64 or more).
  const serial = randomBytes(20);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = der.sequence(
    der.explicit(0, der.unsignedInteger(2)),
    der.unsignedInteger(serial),
    algorithm,
    issuerName,
    der.sequence(der.time(s.notBefore), der.time(s.notAfter)),
    encodeName(s.subject),
    spki(s.publicKey),
    der.explicit(3, der.sequence(...extensions(s, issuerPublic))),
  );
  const signature = sign('sha256', tbs, { key: signingKey, dsaEncoding: 'der' });
  return pemEncode('CERTIFICATE', der.sequence(tbs, algorithm, der.bitString(signature)));
}
