import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { launch, LaunchError, type LaunchSpec } from '../launch.js';
import { freePorts } from '../ports.js';
import { spawnServer, type Spawned } from '../process.js';
import type { KubeBinaries } from './binaries.js';
import { httpCall } from './http.js';
import type { Pki } from './pki.js';

export interface Started {
  proc: Spawned;
  port: number;
  /** How to start it again on the same ports (a restart). */
  spec: LaunchSpec;
}

/**
 * Starts a server on free ports; when its first ports turn out to be taken, on other ones (a first
 * start, unlike a restart, may move).
 */
async function onFreePorts(
  count: number,
  spec: (ports: number[]) => Omit<LaunchSpec, 'ports'>,
  start: (ports: number[]) => Spawned,
): Promise<Started & { ports: number[] }> {
  for (let choice = 1; ; choice++) {
    const ports = await freePorts(count);
    const s: LaunchSpec = { ...spec(ports), ports, attempts: 2 };
    try {
      const proc = await launch(s, () => start(ports));
      return { proc, port: ports[0] ?? 0, ports, spec: { ...s, attempts: undefined } };
    } catch (err) {
      if (!(err instanceof LaunchError && err.portTaken) || choice >= 3) throw err;
    }
  }
}

export async function startEtcd(
  bins: KubeBinaries,
  dir: string,
  detached: boolean,
): Promise<Started & { url: string }> {
  const dataDir = join(dir, 'etcd-data');
  mkdirSync(dataDir, { recursive: true });
  const started = await onFreePorts(
    2,
    ([port]) => ({
      what: 'etcd',
      readyTimeoutMs: 60_000,
      ready: async () => {
        const r = await httpCall(`http://127.0.0.1:${port}/health`, { timeoutMs: 1000 });
        return r.status === 200 && r.body.includes('"true"');
      },
    }),
    ([port, peerPort]) =>
      spawnServer(
        bins.etcd,
        [
          '--name=flotilla',
          `--data-dir=${dataDir}`,
          `--listen-client-urls=http://127.0.0.1:${port}`,
          `--advertise-client-urls=http://127.0.0.1:${port}`,
          `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-cluster=flotilla=http://127.0.0.1:${peerPort}`,
          '--unsafe-no-fsync=true',
          '--log-level=warn',
          '--quota-backend-bytes=8589934592',
        ],
        { name: 'etcd', logFile: join(dir, 'etcd.log'), detached },
      ),
  );
  return { ...started, url: `http://127.0.0.1:${started.port}` };
}

/** Kubernetes refuses to start without a non-loopback advertise address; none is ever dialled. */
function advertiseAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '192.0.2.10';
}

export interface ApiserverOptions {
  name: string;
  dir: string;
  etcdUrl: string;
  pki: Pki;
  serviceAccount: { publicKey: string; privateKey: string };
  tokensFile: string;
  adminToken: string;
  minimal: boolean;
  detached: boolean;
}

export async function startApiserver(bins: KubeBinaries, o: ApiserverOptions): Promise<Started> {
  return onFreePorts(
    1,
    ([port]) => ({
      what: `kube-apiserver of cluster ${o.name}`,
      readyTimeoutMs: 120_000,
      ready: async () => {
        const r = await httpCall(`https://127.0.0.1:${port}/readyz`, {
          caFile: o.pki.caCert,
          token: o.adminToken,
          timeoutMs: 2000,
        });
        return r.status === 200;
      },
    }),
    ([port]) =>
      spawnServer(
        bins['kube-apiserver'],
        [
          `--etcd-servers=${o.etcdUrl}`,
          `--etcd-prefix=/registry-${o.name}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          `--advertise-address=${advertiseAddress()}`,
          `--cert-dir=${join(o.dir, 'certs')}`,
          `--tls-cert-file=${o.pki.serverCert}`,
          `--tls-private-key-file=${o.pki.serverKey}`,
          `--client-ca-file=${o.pki.caCert}`,
          `--token-auth-file=${o.tokensFile}`,
          '--authorization-mode=RBAC',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${o.serviceAccount.publicKey}`,
          `--service-account-signing-key-file=${o.serviceAccount.privateKey}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          '--endpoint-reconciler-type=none',
          '--enable-priority-and-fairness=false',
          '--profiling=false',
          ...(o.minimal ? ['--disable-admission-plugins=ServiceAccount'] : []),
        ],
        { name: `kube-apiserver[${o.name}]`, logFile: join(o.dir, 'kube-apiserver.log'), detached: o.detached },
      ),
  );
}

export function writeKubeconfig(file: string, name: string, server: string, caFile: string, token: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

export interface ControlPlaneOptions {
  name: string;
  dir: string;
  kubeconfig: string;
  pki: Pki;
  serviceAccountKey: string;
  kwokStages: string;
  detached: boolean;
}

/** kube-controller-manager, kube-scheduler and kwok: the parts that make workloads progress. */
export function startControllers(bins: KubeBinaries, o: ControlPlaneOptions): Spawned[] {
  const log = (c: string) => ({ name: `${c}[${o.name}]`, logFile: join(o.dir, `${c}.log`), detached: o.detached });
  const kcm = spawnServer(
    bins['kube-controller-manager'],
    [
      `--kubeconfig=${o.kubeconfig}`,
      '--leader-elect=false',
      '--secure-port=0',
      `--service-account-private-key-file=${o.serviceAccountKey}`,
      `--root-ca-file=${o.pki.caCert}`,
      '--controllers=*',
      `--cluster-name=${o.name}`,
      '--concurrent-gc-syncs=5',
    ],
    log('kube-controller-manager'),
  );
  const scheduler = spawnServer(
    bins['kube-scheduler'],
    [`--kubeconfig=${o.kubeconfig}`, '--leader-elect=false', '--secure-port=0'],
    log('kube-scheduler'),
  );
  const kwok = spawnServer(
    bins.kwok,
    [
      `--kubeconfig=${o.kubeconfig}`,
      `--config=${o.kwokStages}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      '--cidr=10.244.0.0/16',
      '--node-ip=10.0.0.2',
      '--node-lease-duration-seconds=40',
    ],
    log('kwok'),
  );
  return [kcm, scheduler, kwok];
}

export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const FAKE_NODE_NAME = 'kwok-node-0';

export function fakeNode(name = FAKE_NODE_NAME): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
  };
}
