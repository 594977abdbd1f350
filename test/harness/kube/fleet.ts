import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { restart, type LaunchSpec, type RestartOptions } from '../launch.js';
import { killPid, pidAlive, pidCommand, pidRss, type Spawned } from '../process.js';
import { waitFor } from '../wait.js';
import { locateBinaries, type KubeBinaries } from './binaries.js';
import {
  FAKE_NODE_NAME,
  fakeNode,
  startApiserver,
  startControllers,
  startEtcd,
  writeKubeconfig,
} from './components.js';
import { httpCall } from './http.js';
import { writeKwokStages } from './kwok-stages.js';
import { LB_ASSIGNER_COMMAND, LB_ASSIGNER_NAME, startLbAssigner } from './lb-assigner.js';
import { DEFAULT_LB_RANGE } from './lb-plan.js';
import { ensurePki, writeServiceAccountKeys, type Pki } from './pki.js';

/** What a test (or a person) needs to talk to one simulated cluster. */
export interface KubeClusterInfo {
  name: string;
  kubeconfig: string;
  server: string;
  /** Bearer token of a `system:masters` user. */
  token: string;
  caFile: string;
}

interface ProcessRecord {
  name: string;
  pid: number;
  command: string;
  logFile: string;
}

export interface FleetRecord {
  version: 1;
  dir: string;
  startedAt: string;
  minimal: boolean;
  clusters: KubeClusterInfo[];
  /** In start order; stopped in reverse. */
  processes: ProcessRecord[];
}

export interface StartFleetOptions {
  /** Cluster names; each becomes a separate apiserver with its own etcd prefix. */
  clusters: string[];
  /** Where PKI, logs, etcd data and kubeconfigs go. */
  dir: string;
  /** apiserver only: no controller-manager, scheduler, kwok or node. */
  minimal?: boolean;
  /**
   * Assign addresses to Services of type LoadBalancer (lb-assigner.ts, one process for the fleet), as
   * cloud-provider-kind or MetalLB do. Default: unless minimal.
   */
  loadBalancers?: boolean;
  /** Leave the processes running after this Node process exits (kube:up). */
  detached?: boolean;
  binaries?: KubeBinaries;
  /** Progress lines for people (kube:up); tests pass nothing. */
  progress?: (line: string) => void;
}

export interface KubeFleet {
  clusters: KubeClusterInfo[];
  record: FleetRecord;
  /**
   * Stops one of the fleet's servers ('etcd', 'kube-apiserver[<cluster>]'), waits until its process
   * has exited and starts it again on the same ports; fails with the server's own error when it
   * cannot come back.
   */
  restart(processName: string, o?: RestartOptions): Promise<Spawned>;
  stop(): Promise<void>;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;
export const STATE_FILE = 'state.json';

export class FleetError extends Error {
  readonly code = 'KUBE_FLEET';
}

/** Starts one etcd and, per cluster, an apiserver (plus controllers, kwok and a fake node). */
export async function startFleet(o: StartFleetOptions): Promise<KubeFleet> {
  const bad = o.clusters.find((n) => !CLUSTER_NAME.test(n));
  if (bad !== undefined) {
    throw new FleetError(`cluster name "${bad}" is invalid: use lowercase letters, digits and dashes (max 32)`);
  }
  if (new Set(o.clusters).size !== o.clusters.length) throw new FleetError('cluster names must be unique');
  const dir = resolve(o.dir);
  const bins = o.binaries ?? locateBinaries();
  const progress = o.progress ?? (() => {});
  const minimal = o.minimal ?? false;
  const detached = o.detached ?? false;
  mkdirSync(dir, { recursive: true });
  const pki = ensurePki(join(dir, 'pki'));
  const procs: Spawned[] = [];
  const specs = new Map<string, LaunchSpec>();
  const record: FleetRecord = {
    version: 1,
    dir,
    startedAt: new Date().toISOString(),
    minimal,
    clusters: [],
    processes: [],
  };
  const remember = (p: Spawned, command: string, spec?: LaunchSpec) => {
    procs.push(p);
    if (spec) specs.set(p.name, spec);
    record.processes.push({ name: p.name, pid: p.pid, command, logFile: p.logFile });
    if (detached) saveRecord(record);
  };
  const restartOne = async (name: string, ro?: RestartOptions) => {
    const i = procs.findIndex((p) => p.name === name);
    const old = procs[i];
    const spec = specs.get(name);
    if (old === undefined || spec === undefined) {
      const known = [...specs.keys()].join(', ');
      throw new FleetError(`no restartable server named "${name}" in this fleet (there are: ${known})`);
    }
    const next = await restart(old, spec, ro);
    procs[i] = next;
    const rec = record.processes.find((p) => p.name === name);
    if (rec) rec.pid = next.pid;
    if (detached) saveRecord(record);
    return next;
  };
  const stop = async () => {
    for (const p of [...procs].reverse()) await p.stop();
    if (detached) rmSync(join(dir, STATE_FILE), { force: true });
  };
  try {
    rmSync(join(dir, 'etcd-data'), { recursive: true, force: true });
    const etcd = await startEtcd(bins, dir, detached);
    remember(etcd.proc, bins.etcd, etcd.spec);
    progress(`etcd ready on ${etcd.url}`);
    const clusters = await Promise.all(
      o.clusters.map((name) =>
        startCluster(bins, { name, dir: join(dir, name), etcdUrl: etcd.url, pki, minimal, detached }, remember).then(
          (c) => {
            progress(`cluster ${name} ready at ${c.server}`);
            return c;
          },
        ),
      ),
    );
    record.clusters = clusters;
    if (o.loadBalancers ?? !minimal) {
      const lb = await startLbAssigner({
        kubeconfigs: clusters.map((c) => c.kubeconfig),
        logFile: join(dir, 'lb-assigner.log'),
        detached,
      });
      remember(lb, LB_ASSIGNER_COMMAND);
      progress(`load-balancer addresses from ${DEFAULT_LB_RANGE} (${LB_ASSIGNER_NAME}, pid ${lb.pid})`);
    }
    if (detached) saveRecord(record);
    return { clusters, record, restart: restartOne, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface ClusterOptions {
  name: string;
  dir: string;
  etcdUrl: string;
  pki: Pki;
  minimal: boolean;
  detached: boolean;
}

async function startCluster(
  bins: KubeBinaries,
  o: ClusterOptions,
  remember: (p: Spawned, command: string, spec?: LaunchSpec) => void,
): Promise<KubeClusterInfo> {
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const adminToken = randomBytes(24).toString('hex');
  const tokensFile = join(o.dir, 'tokens.csv');
  writeFileSync(tokensFile, `${adminToken},flotilla-admin,flotilla-admin,"system:masters"\n`, { mode: 0o600 });
  const serviceAccount = writeServiceAccountKeys(o.dir);
  const api = await startApiserver(bins, { ...o, tokensFile, adminToken, serviceAccount });
  remember(api.proc, bins['kube-apiserver'], api.spec);
  const server = `https://127.0.0.1:${api.port}`;
  const kubeconfig = resolve(o.dir, '..', `${o.name}.kubeconfig`);
  writeKubeconfig(kubeconfig, o.name, server, o.pki.caCert, adminToken);
  const info: KubeClusterInfo = { name: o.name, kubeconfig, server, token: adminToken, caFile: o.pki.caCert };
  if (o.minimal) return info;

  const ctl = startControllers(bins, {
    ...o,
    kubeconfig,
    serviceAccountKey: serviceAccount.privateKey,
    kwokStages: writeKwokStages(bins['kwok-stages'], o.dir),
  });
  const commands = [bins['kube-controller-manager'], bins['kube-scheduler'], bins.kwok];
  ctl.forEach((p, i) => remember(p, commands[i] ?? ''));
  const call = (path: string, method = 'GET', body?: unknown) =>
    httpCall(`${server}${path}`, { caFile: o.pki.caCert, token: adminToken, method, body });
  const created = await call('/api/v1/nodes', 'POST', fakeNode());
  if (created.status !== 201 && created.status !== 409) {
    throw new FleetError(`cluster ${o.name}: creating the fake node failed (${created.status}): ${created.body}`);
  }
  const abort = () => {
    const dead = ctl.find((p) => p.exited() !== undefined);
    return dead && `${dead.name} ${dead.exited()}; last log lines (${dead.logFile}):\n${dead.tail(15)}`;
  };
  await waitFor(
    async () => {
      const r = await call(`/api/v1/nodes/${FAKE_NODE_NAME}`);
      const node = JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } };
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    { what: `cluster ${o.name}: node ${FAKE_NODE_NAME} Ready (kwok)`, timeoutMs: 60_000, abort },
  );
  await waitFor(async () => (await call('/api/v1/namespaces/default/serviceaccounts/default')).status === 200, {
    what: `cluster ${o.name}: default ServiceAccount (kube-controller-manager)`,
    timeoutMs: 60_000,
    abort,
  });
  return info;
}

function saveRecord(record: FleetRecord): void {
  writeFileSync(join(record.dir, STATE_FILE), JSON.stringify(record, null, 2));
}

export function readRecord(dir: string): FleetRecord | undefined {
  const file = join(resolve(dir), STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FleetRecord;
  } catch (err) {
    throw new FleetError(`${file} is not readable JSON; remove it after checking no cluster runs`, { cause: err });
  }
}

/** Only processes whose PID still runs the binary we started: a recycled PID is left alone. */
export function liveProcesses(record: FleetRecord): ProcessRecord[] {
  return record.processes.filter((p) => pidAlive(p.pid) && (pidCommand(p.pid) ?? '').startsWith(p.command));
}

/** Stops, by PID, exactly the processes a detached fleet started; removes the state file. */
export async function stopRecord(record: FleetRecord): Promise<ProcessRecord[]> {
  const live = liveProcesses(record);
  for (const p of [...live].reverse()) await killPid(p.pid);
  rmSync(join(record.dir, STATE_FILE), { force: true });
  return live;
}

export function fleetRss(record: FleetRecord): Map<string, number> {
  const rss = new Map<string, number>();
  for (const p of liveProcesses(record)) rss.set(p.name, pidRss(p.pid) ?? 0);
  return rss;
}
