// PKCS#10 certificate signing requests (RFC 2986): the agent proves it holds a private key without ever
// sending it; the hub checks the signature and issues a certificate for the public key. The structures
// are @peculiar/asn1-csr's; keys and signatures node:crypto's.
import { createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificateError, encodeName, OID, pemDecode, pemEncode, spki, toArrayBuffer } from './x509.js';

export function createCsr(privateKey: KeyObject, commonName: string): string {
  const publicKey = createPublicKey(privateKey);
  // version 0, subject, key, no attributes
  const certificationRequestInfo = new CertificationRequestInfo({
    subject: encodeName({ commonName }),
    subjectPKInfo: AsnConvert.parse(spki(publicKey), SubjectPublicKeyInfo),
  });
  const info = Buffer.from(AsnConvert.serialize(certificationRequestInfo));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const request = new CertificationRequest({
    certificationRequestInfo,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 }),
    signature: toArrayBuffer(signature),
  });
  return pemEncode('CERTIFICATE REQUEST', new Uint8Array(AsnConvert.serialize(request)));
}

/**
 * The public key of a signing request whose self-signature verifies. Only ECDSA P-256 keys are
 * accepted (what the agent generates). The requested subject is ignored: the hub names the cluster.
 */
export function parseCsr(pem: string): { publicKey: KeyObject } {
  const body = pemDecode(pem, 'CERTIFICATE REQUEST')[0];
  if (!body) throw new CertificateError('client certificate request is not a PEM "CERTIFICATE REQUEST"');
  let publicKey: KeyObject;
  try {
    const request = AsnConvert.parse(body, CertificationRequest);
    // The signature covers the request info as it was sent, byte for byte.
    const info = request.certificationRequestInfoRaw;
    if (!info) throw new Error('not a CertificationRequest');
    publicKey = createPublicKey({
      key: Buffer.from(AsnConvert.serialize(request.certificationRequestInfo.subjectPKInfo)),
      format: 'der',
      type: 'spki',
    });
    const signature = Buffer.from(request.signature);
    if (!verify('sha256', Buffer.from(info), { key: publicKey, dsaEncoding: 'der' }, signature))
      throw new Error('its signature does not verify with the key it carries');
  } catch (err) {
    throw new CertificateError(`client certificate request is invalid: ${(err as Error).message}`, { cause: err });
  }
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  if (publicKey.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new CertificateError(
      `client certificate request has a ${publicKey.asymmetricKeyType ?? 'unknown'} ${curve ?? ''} key; use ECDSA P-256`,
    );
  }
  return { publicKey };
}
