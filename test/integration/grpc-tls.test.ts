import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tlsSocket from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { AgentTls, HubConnection, type BundleSink } from '@flotilla/agent';
import { protocol, store as hubStore, tls as hubTls } from '@flotilla/hub';
import { loadFlotillaProto, pki } from '@flotilla/proto/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const v1 = loadFlotillaProto().flotilla.v1;
/** No bundles are desired in these tests: the cluster side only has to answer that it holds none. */
const emptyCluster: BundleSink = {
  set: () => Promise.resolve(undefined),
  remove: () => Promise.resolve(true),
  report: () => undefined,
  deployments: () => [],
  retry: () => Promise.resolve(undefined),
};
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('gRPC over TLS: the hub as its own CA, agents pinning it, mutual TLS (real sockets)', () => {
  let dir: string;
  let store: hubStore.Store;
  let hub: protocol.GrpcHub;
  let tls: hubTls.HubTls;
  let addr: string;
  const running: HubConnection[] = [];

  const token = (cluster: string) => protocol.mintRegistrationToken(store, { cluster }).token;
  const agentTls = (name: string, o: Partial<ConstructorParameters<typeof AgentTls>[0]> = {}) =>
    new AgentTls({
      address: addr,
      discoveredCaFile: join(dir, name, 'hub-ca.crt'),
      certFile: join(dir, name, 'client.crt'),
      keyFile: join(dir, name, 'client.key'),
      ...o,
    });
  const connection = (name: string, security: AgentTls, address = addr) => {
    const events: { event: string; detail?: Record<string, unknown> }[] = [];
    const conn = new HubConnection(
      {
        address,
        clusterName: name,
        credentialFile: join(dir, name, 'credential'),
        token: token(name),
        security,
        random: () => 0,
        onEvent: (event, detail) => events.push({ event, ...(detail ? { detail } : {}) }),
      },
      emptyCluster,
    );
    return { conn, events };
  };
  const connectWith = (creds: grpc.ChannelCredentials, credential: string) =>
    new Promise<grpc.ServiceError | 'welcome'>((resolve) => {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${credential}`);
      const client = new v1.AgentService(addr, creds);
      const call = client.Connect(md);
      call.on('data', (m: { welcome?: unknown }) => {
        if (m.welcome) {
          call.cancel();
          resolve('welcome');
        }
      });
      call.on('error', (err: grpc.ServiceError) => {
        client.close();
        resolve(err);
      });
      call.write({ hello: { clusterId: 'x' } });
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-tls-'));
    store = hubStore.openStore(join(dir, 'hub.db'));
    tls = hubTls.setupHubTls(join(dir, 'hub'), { mode: 'auto', sans: ['hub.flotilla-system.svc'], mtls: true })!;
    hub = await protocol.startGrpcServer({ store, address: '127.0.0.1:0', tls });
    addr = `127.0.0.1:${hub.port}`;
  });

  afterAll(async () => {
    for (const c of running) await c.stop();
    await hub?.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the CA and server keys owner-only, and names localhost, loopback and --tls-san', () => {
    const p = hubTls.tlsPaths(join(dir, 'hub'));
    expect([mode(p.caKey), mode(p.serverKey)]).toEqual(['600', '600']);
    const cert = new X509Certificate(readFileSync(p.serverCert));
    expect(cert.subjectAltName).toBe(
      'DNS:localhost, DNS:hub.flotilla-system.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(cert.checkIssued(new X509Certificate(tls.caCertificatePem!))).toBe(true);
  });

  it('an agent pinning the CA hash registers, receives a client certificate and connects with mutual TLS', async () => {
    const { conn, events } = connection('alpha', agentTls('alpha', { caPin: tls.caPin }));
    running.push(conn);
    void conn.run();
    await expect.poll(() => events.map((e) => e.event), { timeout: 10_000 }).toContain('connected');
    expect(hub.connectedClusters()).toEqual(['alpha']);
    expect(readFileSync(join(dir, 'alpha', 'hub-ca.crt'), 'utf8')).toBe(tls.caCertificatePem!);
    expect(mode(join(dir, 'alpha', 'client.key'))).toBe('600');
    const client = new X509Certificate(readFileSync(join(dir, 'alpha', 'client.crt')));
    expect(client.verify(new X509Certificate(tls.caCertificatePem!).publicKey)).toBe(true);
    expect(pki.clusterOfCertificate(client)).toBe('alpha');
  });

  it('refuses agent streams without a client certificate, with one from another CA, or for another cluster', async () => {
    const credential = readFileSync(join(dir, 'alpha', 'credential'), 'utf8').trim();
    const ca = Buffer.from(tls.caCertificatePem!);
    const none = await connectWith(grpc.credentials.createSsl(ca), credential);
    expect(none).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringMatching(/^CLIENT_CERT_MISSING: cluster alpha connected without a client certificate/),
    });

    const other = pki.createAuthority({ commonName: 'other CA' });
    const otherAuthority = { certificatePem: other.certificatePem, privateKey: createPrivateKey(other.privateKeyPem) };
    const key = pki.generateKeyPair();
    const foreign = pki.issueClientCertificate(otherAuthority, { cluster: 'alpha', publicKey: key.publicKey });
    const keyPem = Buffer.from(pki.privateKeyPem(key.privateKey));
    const fromOther = await connectWith(grpc.credentials.createSsl(ca, keyPem, Buffer.from(foreign)), credential);
    expect(fromOther).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringContaining('CLIENT_CERT_MISSING'),
    });

    const hubCa = hubTls.loadOrCreateAuthority(join(dir, 'hub'));
    const beta = pki.issueClientCertificate(hubCa, { cluster: 'beta', publicKey: key.publicKey });
    const wrongCluster = await connectWith(grpc.credentials.createSsl(ca, keyPem, Buffer.from(beta)), credential);
    expect(wrongCluster).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: "CLIENT_CERT_MISMATCH: the client certificate names cluster beta, but the credential is cluster alpha's",
    });

    const alphaCert = readFileSync(join(dir, 'alpha', 'client.crt'));
    const alphaKey = readFileSync(join(dir, 'alpha', 'client.key'));
    expect(await connectWith(grpc.credentials.createSsl(ca, alphaKey, alphaCert), credential)).toBe('welcome');
  });

  it('renews its client certificate for a new key when it nears expiry, over its current mutual TLS', async () => {
    const from = join(dir, 'alpha');
    const to = join(dir, 'alpha-later');
    mkdirSync(to);
    for (const f of ['credential', 'client.crt', 'client.key', 'hub-ca.crt']) copyFileSync(join(from, f), join(to, f));
    const before = new X509Certificate(readFileSync(join(to, 'client.crt')));
    // 300 days on, less than the 120 days of margin remain on the one-year certificate.
    const later = agentTls('alpha-later', { caPin: tls.caPin, clock: () => new Date(Date.now() + 300 * 86_400_000) });
    const { conn, events } = connection('alpha-later', later);
    running.push(conn);
    void conn.run();
    await expect
      .poll(() => events.map((e) => e.event), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['clientCertificateRenewed', 'connected']));
    const after = new X509Certificate(readFileSync(join(to, 'client.crt')));
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.checkPrivateKey(createPrivateKey(readFileSync(join(to, 'client.key'))))).toBe(true);
    expect(pki.clusterOfCertificate(after)).toBe('alpha');
    expect(existsSync(join(to, 'client.key.next'))).toBe(false);
  });

  it('an agent that does not trust the hub CA fails with an error that says what to give it', async () => {
    const { conn } = connection('gamma', agentTls('gamma'));
    const err = await conn.credential().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HUB_UNTRUSTED' });
    expect((err as Error).message).toBe(
      `the hub at ${addr} presented a certificate this agent does not trust: give the hub's CA with --hub-ca FILE ` +
        '(flotilla-hub ca show) or pin it with --hub-ca-hash sha256:... (flotilla-hub ca hash)',
    );
    expect(existsSync(join(dir, 'gamma', 'credential'))).toBe(false);
  });

  it('a wrong pin, a name the certificate lacks and a plaintext hub are each named', async () => {
    const wrongPin = `sha256:${'0'.repeat(64)}`;
    const pinned = await connection('delta', agentTls('delta', { caPin: wrongPin }))
      .conn.credential()
      .catch((e: unknown) => e);
    expect(pinned).toMatchObject({
      code: 'HUB_CA_PIN',
      message: expect.stringContaining(`presented no CA matching --hub-ca-hash ${wrongPin}`),
    });

    writeFileSync(join(dir, 'ca.pem'), tls.caCertificatePem!);
    const named = await connection(
      'delta',
      agentTls('delta', { caFile: join(dir, 'ca.pem'), serverName: 'hub.example' }),
    )
      .conn.credential()
      .catch((e: unknown) => e);
    expect(named).toMatchObject({
      code: 'HUB_NAME_MISMATCH',
      message: expect.stringContaining("does not name hub.example; add the name to the hub's --tls-san"),
    });

    const plain = await protocol.startGrpcServer({ store, address: '127.0.0.1:0' });
    try {
      const insecure = await connection(
        'delta',
        agentTls('delta', { caFile: join(dir, 'ca.pem') }),
        `127.0.0.1:${plain.port}`,
      )
        .conn.credential()
        .catch((e: unknown) => e);
      expect(insecure).toMatchObject({ code: 'HUB_NOT_TLS' });
    } finally {
      await plain.stop();
    }
  });

  it('renews the server certificate before it expires, and new connections get it without a restart', async () => {
    // Not verified here: renewed "300 days from now", the new certificate is not valid yet today.
    const served = async () => {
      const s = tlsSocket.connect({
        host: '127.0.0.1',
        port: hub.port,
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
      });
      await once(s, 'secureConnect');
      const c = s.getPeerX509Certificate();
      s.destroy();
      return { serial: c?.serialNumber, validTo: Date.parse(c?.validTo ?? '') };
    };
    const before = await served();
    expect(tls.renewIfDue()).toBe(false);
    const later = Date.now() + 300 * 86_400_000;
    expect(tls.renewIfDue(new Date(later))).toBe(true);
    const after = await served();
    expect(after.serial).not.toBe(before.serial);
    expect(after.validTo).toBeGreaterThan(later + 360 * 86_400_000);
    expect(tls.renewIfDue(new Date(later))).toBe(false);
  });
});

describe("gRPC over TLS with the operator's certificates and client CA", () => {
  it('serves the given certificate, and accepts an agent holding a client certificate from the client CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-tls-files-'));
    const store = hubStore.openStore(join(dir, 'hub.db'));
    const corp = pki.createAuthority({ commonName: 'Corp CA' });
    const corpCa = { certificatePem: corp.certificatePem, privateKey: createPrivateKey(corp.privateKeyPem) };
    const server = pki.issueServerCertificate(corpCa, {
      commonName: 'hub',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const agentKey = pki.generateKeyPair();
    const files = {
      ca: join(dir, 'corp-ca.pem'),
      cert: join(dir, 'server.pem'),
      key: join(dir, 'server-key.pem'),
      agentCert: join(dir, 'agent.pem'),
      agentKey: join(dir, 'agent-key.pem'),
    };
    writeFileSync(files.ca, corp.certificatePem);
    // The chain ends with the root: the hub hands that CA to agents at registration.
    writeFileSync(files.cert, server.certificatePem + corp.certificatePem);
    writeFileSync(files.key, server.privateKeyPem);
    writeFileSync(
      files.agentCert,
      pki.issueClientCertificate(corpCa, { cluster: 'edge-1', publicKey: agentKey.publicKey }),
    );
    writeFileSync(files.agentKey, pki.privateKeyPem(agentKey.privateKey));
    const cfg = hubTls.parseTlsConfig(
      {},
      { 'tls-cert': files.cert, 'tls-key': files.key, 'tls-client-ca': files.ca },
      (m) => new Error(m),
    );
    expect(cfg).toMatchObject({ mode: 'files', mtls: true });
    const tls = hubTls.setupHubTls(join(dir, 'hub'), cfg)!;
    expect(tls.clientCertificateSigner).toBeUndefined();
    expect([tls.caCertificatePem, tls.caPin]).toEqual([corp.certificatePem, pki.publicKeyPin(corp.certificatePem)]);
    const hub = await protocol.startGrpcServer({ store, address: '127.0.0.1:0', tls });
    const events: string[] = [];
    const conn = new HubConnection(
      {
        address: `127.0.0.1:${hub.port}`,
        clusterName: 'edge-1',
        credentialFile: join(dir, 'agent', 'credential'),
        token: protocol.mintRegistrationToken(store, { cluster: 'edge-1' }).token,
        security: new AgentTls({
          address: `127.0.0.1:${hub.port}`,
          caFile: files.ca,
          discoveredCaFile: join(dir, 'agent', 'hub-ca.crt'),
          certFile: files.agentCert,
          keyFile: files.agentKey,
        }),
        onEvent: (e) => events.push(e),
      },
      emptyCluster,
    );
    try {
      void conn.run();
      await expect.poll(() => events, { timeout: 10_000 }).toContain('connected');
      expect(hub.connectedClusters()).toEqual(['edge-1']);
      writeFileSync(files.key, pki.privateKeyPem(pki.generateKeyPair().privateKey));
      expect(() => hubTls.setupHubTls(join(dir, 'hub'), cfg)).toThrow(
        /--tls-key .* is not the private key of --tls-cert/,
      );
    } finally {
      await conn.stop();
      await hub.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
