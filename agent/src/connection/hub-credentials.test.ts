import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pki } from '@flotilla/proto/runtime';
import { HubChannelCredentials, type HubCredentialsOptions } from './hub-credentials.js';

/** A TLS server on loopback presenting a certificate for the given names; records the SNI it was sent. */
async function tlsServer(ca: pki.Authority, dnsNames: string[], ipAddresses: string[]) {
  const cert = pki.issueServerCertificate(ca, { commonName: 'hub', dnsNames, ipAddresses });
  const sni: (string | false)[] = [];
  const server: Server = createServer(
    { key: cert.privateKeyPem, cert: cert.certificatePem, ALPNProtocols: ['h2'] },
    (socket: TLSSocket) => {
      sni.push(socket.servername ?? false);
      socket.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, sni, port: (server.address() as AddressInfo).port };
}

async function handshake(o: HubCredentialsOptions, port: number): Promise<string> {
  const socket = tcpConnect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const connector = new HubChannelCredentials(o)._createSecureConnector(undefined, {});
  try {
    const r = await connector.connect(socket);
    // The server records the name and closes: wait for that, so that the record is there.
    await new Promise((resolve) => r.socket.once('close', resolve).resume());
    return 'ok';
  } catch (err) {
    socket.destroy();
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

describe('HubChannelCredentials: TLS to the hub without an IP address as SNI', () => {
  const issued = pki.createAuthority({ commonName: 'test hub CA' });
  const ca: pki.Authority = {
    certificatePem: issued.certificatePem,
    privateKey: pki.loadPrivateKey(issued.privateKeyPem),
  };
  const trust = Buffer.from(issued.certificatePem);
  let byIp: Awaited<ReturnType<typeof tlsServer>>;
  let byName: Awaited<ReturnType<typeof tlsServer>>;

  beforeAll(async () => {
    byIp = await tlsServer(ca, ['localhost'], ['127.0.0.1']);
    byName = await tlsServer(ca, ['hub.example'], []);
  });
  afterAll(() => {
    byIp.server.close();
    byName.server.close();
  });

  it('dials an IP address with no server name sent, and checks the IP against the certificate', async () => {
    expect(await handshake({ host: '127.0.0.1', ca: trust }, byIp.port)).toBe('ok');
    expect(byIp.sni).toEqual([false]);
    // The same address, a certificate that does not name it: refused, not weakened by the missing SNI.
    expect(await handshake({ host: '127.0.0.1', ca: trust }, byName.port)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('sends and checks --tls-server-name when given', async () => {
    expect(await handshake({ host: '127.0.0.1', serverName: 'hub.example', ca: trust }, byName.port)).toBe('ok');
    expect(byName.sni).toEqual(['hub.example']);
    expect(await handshake({ host: '127.0.0.1', serverName: 'other.example', ca: trust }, byName.port)).toBe(
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });

  it('refuses a hub whose certificate does not chain to the trusted CA', async () => {
    const other = Buffer.from(pki.createAuthority({ commonName: 'another CA' }).certificatePem);
    expect(await handshake({ host: '127.0.0.1', ca: other }, byIp.port)).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i,
    );
  });
});
