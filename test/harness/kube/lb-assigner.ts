import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnServer, type Spawned } from '../process.js';
import { waitFor } from '../wait.js';
import { REPO_ROOT } from './binaries.js';
import { mayHoldLease, planLoadBalancers, type LbService, type LeaseView } from './lb-plan.js';
import { accessOf, apiCall, listWatch, type ApiAccess } from './watch.js';

/** One Lease per cluster elects the assigner that acts there; the others wait. */
const LEASE = { namespace: 'kube-system', name: 'flotilla-lb-assigner', seconds: 10, renewMs: 2000 };
const MAIN = join(REPO_ROOT, 'test/harness/kube/lb-assigner-main.ts');
/** What a live assigner's command line starts with (a state file's record of it). */
export const LB_ASSIGNER_COMMAND = `${process.execPath} --import tsx ${MAIN}`;
export const LB_ASSIGNER_NAME = 'lb-assigner';

export type Log = (msg: string, fields?: Record<string, unknown>) => void;

/** RFC 3339 with microseconds: what the apiserver parses a Lease's MicroTime fields as. */
const microTime = (d: Date) => d.toISOString().replace(/Z$/, '000Z');

interface Service {
  metadata?: { namespace?: string; name?: string; uid?: string; creationTimestamp?: string };
  spec?: { type?: string; loadBalancerClass?: string; loadBalancerIP?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

function view(s: Service): LbService {
  return {
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    uid: s.metadata?.uid ?? '',
    creationTimestamp: s.metadata?.creationTimestamp ?? '',
    ...(s.spec?.type ? { type: s.spec.type } : {}),
    ...(s.spec?.loadBalancerClass ? { loadBalancerClass: s.spec.loadBalancerClass } : {}),
    ...(s.spec?.loadBalancerIP ? { requestedIp: s.spec.loadBalancerIP } : {}),
    ingressIps: (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
  };
}

/** Watches one cluster's Services and, while it holds the cluster's Lease, assigns their addresses. */
export class ClusterAssigner {
  private readonly api: ApiAccess;
  private readonly me = `${hostname()}-${process.pid}`;
  private services: Service[] = [];
  private watch?: ReturnType<typeof listWatch<Service>>;
  private leader = false;
  private stopped = false;
  private renewTimer?: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(
    kubeconfig: string,
    private readonly pool: readonly string[],
    private readonly log: Log,
  ) {
    this.api = accessOf(kubeconfig);
  }

  get cluster(): string {
    return this.api.name;
  }

  async start(): Promise<void> {
    this.watch = listWatch<Service>(
      this.api,
      '/api/v1/services',
      (items) => {
        this.services = items;
        this.schedule();
      },
      (why) => this.log('rewatching', { why }),
    );
    await this.watch.ready;
    await this.renewLease();
    this.renewTimer = setInterval(() => void this.renewLease(), LEASE.renewMs);
    this.log('watching', { leader: this.leader });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    this.watch?.stop();
    await this.pending;
    if (this.leader) await this.writeLease('', 0).catch(() => undefined);
  }

  private call(path: string, method = 'GET', body?: unknown, contentType?: string) {
    return apiCall(this.api, path, { method, body, ...(contentType ? { contentType } : {}) });
  }

  private leasePath(name = '') {
    return `/apis/coordination.k8s.io/v1/namespaces/${LEASE.namespace}/leases${name ? `/${name}` : ''}`;
  }

  /** Writes the Lease as held by `holder` (empty: released); false when another writer won the race. */
  private async writeLease(holder: string, seconds: number, current?: { metadata: object }): Promise<boolean> {
    const spec = { holderIdentity: holder, leaseDurationSeconds: seconds, renewTime: microTime(new Date()) };
    const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...current, spec };
    const r = current
      ? await this.call(this.leasePath(LEASE.name), 'PUT', body)
      : await this.call(this.leasePath(), 'POST', { ...body, metadata: { name: LEASE.name } });
    return r.status === 200 || r.status === 201;
  }

  private async renewLease(): Promise<void> {
    if (this.stopped) return;
    const was = this.leader;
    try {
      const r = await this.call(this.leasePath(LEASE.name));
      const lease =
        r.status === 200 ? (JSON.parse(r.body) as { metadata: object; spec?: Record<string, unknown> }) : undefined;
      if (!lease && r.status !== 404) throw new Error(`reading the lease: HTTP ${r.status}`);
      const seen: LeaseView = {
        holder: lease?.spec?.holderIdentity as string | undefined,
        renewTime: lease?.spec?.renewTime as string | undefined,
        durationSeconds: lease?.spec?.leaseDurationSeconds as number | undefined,
      };
      this.leader = mayHoldLease(lease && seen, this.me, Date.now())
        ? await this.writeLease(this.me, LEASE.seconds, lease && { metadata: lease.metadata })
        : false;
    } catch (err) {
      this.leader = false;
      this.log('leaseFailed', { error: String(err) });
    }
    if (this.leader !== was) this.log(this.leader ? 'leading' : 'following');
    if (this.leader && !was) this.schedule();
  }

  /** Reconciles after the burst of events in progress; one reconcile at a time. */
  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    this.pending = this.pending.then(() => {
      this.queued = false;
      return this.stopped || !this.leader ? undefined : this.reconcile();
    });
  }

  private async reconcile(): Promise<void> {
    const plan = planLoadBalancers(this.services.map(view), this.pool);
    for (const c of plan.changes) {
      const path = `/api/v1/namespaces/${c.namespace}/services/${c.name}/status`;
      const status = { loadBalancer: c.ip ? { ingress: [{ ip: c.ip }] } : { ingress: null } };
      const r = await this.call(path, 'PATCH', { status }, 'application/merge-patch+json').catch((err: unknown) => ({
        status: 0,
        body: String(err),
      }));
      const ok = r.status === 200;
      // Seen at once by the next plan, which may run before the watch brings the change back.
      const cached = this.services.find((x) => x.metadata?.namespace === c.namespace && x.metadata.name === c.name);
      if (ok && cached)
        cached.status = { ...cached.status, loadBalancer: status.loadBalancer.ingress ? status.loadBalancer : {} };
      this.log(c.ip ? 'assigned' : 'released', {
        service: `${c.namespace}/${c.name}`,
        ...(c.ip ? { ip: c.ip } : {}),
        ...(ok ? {} : { failed: `HTTP ${r.status} ${r.body.slice(0, 200)}` }),
      });
    }
    if (plan.starved.length > 0) this.log('poolExhausted', { services: plan.starved });
  }
}

/**
 * Starts the assigner process for a fleet's clusters; detached, it outlives the process that started
 * it (kube:up) and is stopped by its PID like the fleet's servers.
 */
export async function startLbAssigner(o: {
  kubeconfigs: string[];
  logFile: string;
  range?: string;
  detached: boolean;
}): Promise<Spawned> {
  const args = ['--import', 'tsx', MAIN, ...o.kubeconfigs.flatMap((k) => ['--kubeconfig', k])];
  if (o.range) args.push('--range', o.range);
  const proc = spawnServer(process.execPath, args, {
    name: LB_ASSIGNER_NAME,
    logFile: o.logFile,
    cwd: REPO_ROOT,
    detached: o.detached,
  });
  await waitFor(() => (proc.output().match(/"msg":"watching"/g) ?? []).length === o.kubeconfigs.length, {
    what: 'the load-balancer address assigner watching every cluster',
    timeoutMs: 60_000,
    abort: () => proc.exited() && `${proc.exited()}:\n${proc.tail()}`,
  });
  return proc;
}
