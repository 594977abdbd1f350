// X.509 v3 certificates (RFC 5280): ECDSA P-256 keys, SHA-256 signatures. Enough for a hub that is its
// own certificate authority: a self-signed CA, server certificates with DNS and IP subject alternative
// names, and client certificates that name a cluster.
//
// The structures are @peculiar/asn1-x509's (the ASN.1 layer @peculiar/x509 is built on); keys and
// signatures are node:crypto's. Not @peculiar/x509 itself: its generators sign through WebCrypto, so
// every function here (the hub's CA, the agent's CSR, renewals) would turn async, and it needs a global
// reflect-metadata polyfill (tsyringe). Cost, measured for issue #20 (same run, 2 busy cores): the
// hub's parseCsr + issueClientCertificate for 1,000 agents took 2.3 s of CPU with the hand-written DER
// and takes 3.9 s with asn1js; that is registration and renewal, not a path RESULTS.md tracks.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { AsnConvert, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage as AsnExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name as AsnName,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { FlotillaError } from '../errors.js';

export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  serverAuth: id_kp_serverAuth,
  clientAuth: id_kp_clientAuth,
} as const;

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

/** A Name of UTF8String attributes: the organization (if any), then the common name. */
export function encodeName(n: Name): AsnName {
  const rdn = (type: string, value: string) =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
    ]);
  return new AsnName([
    ...(n.organization ? [rdn(OID.organization, n.organization)] : []),
    rdn(OID.commonName, n.commonName),
  ]);
}

/** dNSName and URI are IA5String (ASCII). */
function ascii(kind: string, s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(s)) throw new CertificateError(`${kind} "${s}" is not ASCII; use its punycode form`);
  return s;
}

function extension(extnID: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function extensions(s: CertificateSpec, issuerKey: KeyObject): Extension[] {
  const out = [
    extension(
      id_ce_basicConstraints,
      true,
      s.isCa ? new BasicConstraints({ cA: true, pathLenConstraint: 0 }) : new BasicConstraints(),
    ),
    extension(
      id_ce_keyUsage,
      true,
      new KeyUsage(
        s.isCa
          ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign
          : KeyUsageFlags.digitalSignature,
      ),
    ),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(s.publicKey))),
    extension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuerKey)) }),
    ),
  ];
  if (s.extKeyUsage?.length) {
    out.push(extension(id_ce_extKeyUsage, false, new AsnExtendedKeyUsage(s.extKeyUsage.map((u) => OID[u]))));
  }
  const names = [
    ...(s.dnsNames ?? []).map((d) => new GeneralName({ dNSName: ascii('DNS name', d) })),
    ...(s.uris ?? []).map((u) => new GeneralName({ uniformResourceIdentifier: ascii('URI', u) })),
    ...(s.ipAddresses ?? []).map((ip) => {
      if (!isIP(ip)) throw new CertificateError(`"${ip}" is not an IPv4 or IPv6 address`);
      return new GeneralName({ iPAddress: ip });
    }),
  ];
  if (names.length > 0) out.push(extension(id_ce_subjectAltName, false, new SubjectAlternativeName(names)));
  return out;
}

/** RFC 5280 times are whole seconds (a GeneralizedTime must not carry a fraction). */
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/**
 * The subject and key of the issuing CA, read once per CA: the hub issues every agent's certificate
 * from the same one, and reading it with asn1js cost about 1 ms an issue.
 */
let lastIssuer: { pem: string; name: AsnName; publicKey: KeyObject } | undefined;

function issuerOf(certificatePem: string): { name: AsnName; publicKey: KeyObject } {
  if (lastIssuer?.pem === certificatePem) return lastIssuer;
  const der = pemDecode(certificatePem, 'CERTIFICATE')[0];
  if (!der) throw new CertificateError('issuer certificate is not a PEM CERTIFICATE');
  let name: AsnName;
  try {
    // The issuer's subject as it is: an issued certificate's issuer must equal it.
    name = AsnConvert.parse(der, Certificate).tbsCertificate.subject;
  } catch (err) {
    throw new CertificateError(`issuer certificate cannot be read: ${(err as Error).message}`, { cause: err });
  }
  lastIssuer = { pem: certificatePem, name, publicKey: new X509Certificate(der).publicKey };
  return lastIssuer;
}

/** Builds, signs and PEM-encodes one certificate. */
export function createCertificate(s: CertificateSpec): string {
  if (s.notAfter <= s.notBefore)
    throw new CertificateError(`certificate for ${s.subject.commonName}: notAfter is not after notBefore`);
  const signingKey = s.issuer?.privateKey ?? s.selfSigningKey;
  if (!signingKey)
    throw new CertificateError(`certificate for ${s.subject.commonName}: no issuer and no self-signing key`);
  const issuer = s.issuer ? issuerOf(s.issuer.certificatePem) : { name: encodeName(s.subject), publicKey: s.publicKey };
  const algorithm = new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 });
  // 159 random bits: positive, at most 20 octets, minimal (no leading zero octet), unguessable
  // (CA/B Forum asks for 64 or more).
  const serial = randomBytes(20);
  serial[0] = (serial[0] ?? 0) & 0x7f || 1;
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: algorithm,
    issuer: issuer.name,
    validity: new Validity({ notBefore: wholeSeconds(s.notBefore), notAfter: wholeSeconds(s.notAfter) }),
    subject: encodeName(s.subject),
    subjectPublicKeyInfo: AsnConvert.parse(spki(s.publicKey), SubjectPublicKeyInfo),
    extensions: new Extensions(extensions(s, issuer.publicKey)),
  });
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }, put
  // together from the TBSCertificate converted once: encoding it twice (to sign it, then inside the
  // Certificate) took 4.7 s instead of 3.9 s for the 1,000 agents above.
  const tbs = AsnSerializer.toASN(tbsCertificate);
  const signature = sign('sha256', Buffer.from(tbs.toBER()), { key: signingKey, dsaEncoding: 'der' });
  const certificate = new asn1js.Sequence({
    value: [tbs, AsnSerializer.toASN(algorithm), new asn1js.BitString({ valueHex: signature })],
  });
  return pemEncode('CERTIFICATE', new Uint8Array(certificate.toBER()));
}

/** The bytes of a Buffer as an ArrayBuffer of their own (a Buffer may be a view into a shared pool). */
export const toArrayBuffer = (b: Buffer): ArrayBuffer => new Uint8Array(b).buffer;
