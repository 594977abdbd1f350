/**
 * A dial storm against the hub's gRPC server: N grpc-js clients (each its own connection, TLS) in one
 * child process open a bidirectional call at once, as a fleet does after a hub restart. Reports how
 * many got through, how long it took, and the most connections the server held not yet
 * authenticated (between accept and a call accepted): what H2Limits' handshake timeout and
 * per-address limit must leave room for.
 *
 *   npm run bench:h2-dial-storm -- [--clients 3000] [--handshake-timeout 120000]
 */
import { fork } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { protocol } from '@flotilla/hub';
import { pki } from '@flotilla/proto/runtime';

const { values } = parseArgs({
  options: {
    clients: { type: 'string' },
    'handshake-timeout': { type: 'string' },
    port: { type: 'string' },
    ca: { type: 'string' },
  },
  strict: false,
});
const N = Number(values.clients ?? 3000);
const PATH = '/bench.Bench/Chat';

if (values.port) {
  // The child: N clients, each with its own connection (a local subchannel pool), dialling at once.
  const creds = grpc.credentials.createSsl(readFileSync(String(values.ca)));
  let ok = 0;
  let failed = 0;
  const done = () => ok + failed === N && process.send!({ ok, failed });
  for (let i = 0; i < N; i++) {
    const options = { 'grpc.use_local_subchannel_pool': 1, 'grpc.ssl_target_name_override': 'localhost' };
    const c = new grpc.Client(`127.0.0.1:${values.port}`, creds, options);
    const call = c.makeBidiStreamRequest(
      PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    call.on('data', () => (ok++, done()));
    call.on('error', () => (failed++, done()));
  }
} else {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-storm-'));
  const ca = pki.createAuthority({ commonName: 'bench CA' });
  const authority = { certificatePem: ca.certificatePem, privateKey: createPrivateKey(ca.privateKeyPem) };
  const cert = pki.issueServerCertificate(authority, { commonName: 'hub', dnsNames: ['localhost'], ipAddresses: [] });
  writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
  const timeout = values['handshake-timeout'];
  const server = new protocol.H2GrpcServer({
    toStatus: () => ({ code: 13, details: 'internal' }),
    tls: { options: () => ({ key: cert.privateKeyPem, cert: cert.certificatePem }), onChange: () => undefined },
    limits: timeout ? { handshakeTimeoutMs: Number(timeout) } : {},
  });
  // An agent's stream: accepted at once, answered with one message.
  const chat: protocol.H2Method<Buffer, Buffer> = {
    kind: 'bidi',
    decode: (b) => b,
    encode: (b) => b,
    handle: (_call, out) => {
      void out.write(Buffer.from('welcome'));
      return { message: () => undefined };
    },
  };
  server.add(PATH, chat);
  const port = await server.listen('127.0.0.1:0');
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, server.stats().unauthenticatedConnections)), 5);
  const t0 = Date.now();
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--port', String(port), '--ca', join(dir, 'ca.pem'), '--clients', String(N)],
    {
      execArgv: ['--conditions=@flotilla/source', '--import', 'tsx'],
      stdio: 'inherit',
    },
  );
  const result = await new Promise<{ ok: number; failed: number }>((r) => child.once('message', r));
  clearInterval(sample);
  const seconds = (Date.now() - t0) / 1000;
  console.log(
    `node ${process.version}: ${N} clients, handshake timeout ${server.limits.handshakeTimeoutMs} ms: ` +
      `${result.ok} connected, ${result.failed} failed, in ${seconds.toFixed(1)} s; ` +
      `at most ${peak} connections not yet authenticated at once`,
  );
  child.kill();
  await server.stop(100);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
