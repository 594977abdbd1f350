// PKCS#10 certificate signing requests (RFC 2986): the agent proves it holds a private key without ever
// sending it; the hub checks the signature and issues a certificate for the public key.
import { createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as der from './der.js';
import { CertificateError, OID, pemDecode, pemEncode, spki } from './x509.js';

export function createCsr(privateKey: KeyObject, commonName: string): string {
  const publicKey = createPublicKey(privateKey);
  const subject = der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8(commonName))));
  // version 0, subject, key, attributes [0] IMPLICIT SET OF (none)
  const info = der.sequence(der.unsignedInteger(0), subject, spki(publicKey), der.tlv(0xa0, Buffer.alloc(0)));
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  return pemEncode('CERTIFICATE REQUEST', der.sequence(info, algorithm, der.bitString(signature)));
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
    const [info, , sig] = der.children(der.readElement(body));
    const keyInfo = info && der.children(info)[2];
    if (!info || !sig || !keyInfo || sig.tag !== der.TAG.BIT_STRING) throw new Error('not a CertificationRequest');
    publicKey = createPublicKey({ key: keyInfo.raw, format: 'der', type: 'spki' });
    const signature = sig.value.subarray(1);
    if (!verify('sha256', info.raw, { key: publicKey, dsaEncoding: 'der' }, signature))
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
