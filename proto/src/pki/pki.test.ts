import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  CertificateError,
  clusterOfCertificate,
  createAuthority,
  createCsr,
  expiresInMs,
  generateKeyPair,
  issueClientCertificate,
  issueServerCertificate,
  parseCsr,
  pemDecode,
  privateKeyPem,
  publicKeyPin,
  type Authority,
} from './index.js';

const authority = (pair: { certificatePem: string; privateKeyPem: string }): Authority => ({
  certificatePem: pair.certificatePem,
  privateKey: createPrivateKey(pair.privateKeyPem),
});

describe('X.509 certificates from node:crypto', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const caPair = createAuthority({ commonName: 'flotilla-hub CA', now });
  const ca = authority(caPair);
  const caCert = new X509Certificate(caPair.certificatePem);

  it('makes a self-signed ECDSA P-256 CA', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toContain('CN=flotilla-hub CA');
    expect(caCert.issuer).toBe(caCert.subject);
    expect(caCert.checkIssued(caCert)).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Date.parse(caCert.validFrom)).toBeLessThan(now.getTime());
    expect(new Date(caCert.validTo).getUTCFullYear()).toBe(2036);
  });

  it('issues a server certificate with DNS and IP names and serverAuth', () => {
    const pair = issueServerCertificate(ca, {
      commonName: 'flotilla-hub',
      dnsNames: ['localhost', 'hub.flotilla-system.svc'],
      ipAddresses: ['127.0.0.1', '::1', 'fd00::1:2'],
      now,
    });
    const cert = new X509Certificate(pair.certificatePem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe(
      'DNS:localhost, DNS:hub.flotilla-system.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:1:2',
    );
    expect(cert.checkHost('hub.flotilla-system.svc')).toBe('hub.flotilla-system.svc');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(createPrivateKey(pair.privateKeyPem))).toBe(true);
    expect(Math.round(expiresInMs(pair.certificatePem, now) / 86_400_000)).toBe(365);
  });

  it('a certificate from another CA is not issued by this one', () => {
    const other = authority(createAuthority({ commonName: 'flotilla-hub CA', now }));
    const cert = new X509Certificate(
      issueServerCertificate(other, { commonName: 'x', dnsNames: ['x'], ipAddresses: [], now }).certificatePem,
    );
    expect(cert.verify(caCert.publicKey)).toBe(false);
    expect(publicKeyPin(other.certificatePem)).not.toBe(publicKeyPin(caPair.certificatePem));
  });

  it('issues a cluster client certificate from a signing request', () => {
    const { privateKey } = generateKeyPair();
    const { publicKey } = parseCsr(createCsr(privateKey, 'ignored'));
    const cert = new X509Certificate(issueClientCertificate(ca, { cluster: 'eu-west/1', publicKey, now }));
    expect(cert.checkIssued(caCert) && cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject).toContain('CN=eu-west/1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(clusterOfCertificate(cert)).toBe('eu-west/1');
    expect(cert.checkPrivateKey(privateKey)).toBe(true);
  });

  it('refuses a signing request that was tampered with or holds another kind of key', () => {
    const csr = createCsr(generateKeyPair().privateKey, 'alpha');
    const body = pemDecode(csr, 'CERTIFICATE REQUEST')[0]!;
    body[body.length - 40] ^= 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(() => parseCsr(tampered)).toThrow(CertificateError);
    expect(() => parseCsr('hello')).toThrow(/not a PEM "CERTIFICATE REQUEST"/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => parseCsr(createCsr(rsa, 'alpha'))).toThrow(/has a rsa {2}key; use ECDSA P-256/);
  });

  it('pins a CA by the sha256 of its public key', () => {
    expect(publicKeyPin(caPair.certificatePem)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  describe('in real TLS handshakes (node:tls on loopback)', () => {
    const live = authority(createAuthority({ commonName: 'flotilla-hub CA' }));
    const handshake = async (
      server: { certificatePem: string; privateKeyPem: string },
      client: tls.ConnectionOptions,
    ) => {
      const srv = tls.createServer({
        cert: server.certificatePem,
        key: server.privateKeyPem,
        ca: live.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      });
      const peers: string[] = [];
      srv.on('secureConnection', (s) => {
        peers.push(s.getPeerX509Certificate()?.subject ?? '');
        s.end('ok');
      });
      srv.on('tlsClientError', () => undefined);
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
      const port = (srv.address() as AddressInfo).port;
      try {
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          ca: live.certificatePem,
          ...client,
        });
        await once(socket, 'secureConnect');
        // TLS 1.3: the server checks the client's certificate after the client has finished.
        await once(socket, 'data');
        socket.destroy();
        return peers[0];
      } finally {
        srv.close();
      }
    };
    const server = issueServerCertificate(live, { commonName: 'hub', dnsNames: ['localhost'], ipAddresses: [] });
    const { privateKey } = generateKeyPair();
    const clientCert = issueClientCertificate(live, {
      cluster: 'alpha',
      publicKey: parseCsr(createCsr(privateKey, 'a')).publicKey,
    });

    it('completes a mutual handshake: each side verifies the other against the CA', async () => {
      const peer = await handshake(server, { cert: clientCert, key: privateKeyPem(privateKey) });
      expect(peer).toContain('CN=alpha');
    });

    it('refuses an expired server certificate and a name it does not carry', async () => {
      const old = issueServerCertificate(live, {
        commonName: 'hub',
        dnsNames: ['localhost'],
        ipAddresses: [],
        validDays: 1,
        now: new Date(Date.now() - 3 * 86_400_000),
      });
      await expect(handshake(old, { cert: clientCert, key: privateKeyPem(privateKey) })).rejects.toThrow(
        /certificate has expired/,
      );
      await expect(
        handshake(server, { servername: 'hub.example', cert: clientCert, key: privateKeyPem(privateKey) }),
      ).rejects.toThrow(/Hostname\/IP does not match certificate's altnames/);
    });
  });
});
