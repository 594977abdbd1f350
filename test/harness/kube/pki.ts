import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

/** Names every apiserver answers to, on loopback and inside a cluster. */
const SERVER_SANS = [
  'IP:127.0.0.1',
  'IP:10.0.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '');
    throw new Error(`openssl ${args[0]} failed in ${cwd}: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

/** A CA and one serving certificate (ECDSA P-256) shared by the apiservers of one fleet. Idempotent. */
export function ensurePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const pki: Pki = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
  };
  if (existsSync(pki.serverCert) && existsSync(pki.caCert)) return pki;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=flotilla-test-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver'], dir);
  writeFileSync(
    join(dir, 'apiserver.ext'),
    [
      `subjectAltName=${SERVER_SANS.join(',')}`,
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'basicConstraints=critical,CA:FALSE',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'apiserver.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'apiserver.crt',
      '-days',
      '3650',
      '-extfile',
      'apiserver.ext',
    ],
    dir,
  );
  return pki;
}

/** An RSA pair for signing service account tokens; one per cluster so tokens do not cross clusters. */
export function writeServiceAccountKeys(dir: string): { publicKey: string; privateKey: string } {
  mkdirSync(dir, { recursive: true });
  const files = { publicKey: join(dir, 'sa.pub'), privateKey: join(dir, 'sa.key') };
  if (existsSync(files.privateKey)) return files;
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(files.publicKey, pair.publicKey);
  writeFileSync(files.privateKey, pair.privateKey, { mode: 0o600 });
  return files;
}
