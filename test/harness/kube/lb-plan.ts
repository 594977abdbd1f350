// What the simulated clusters' load-balancer address assigner decides, as a pure function of the
// Services it sees: like MetalLB or cloud-provider-kind, every Service of type LoadBalancer (with no
// loadBalancerClass: those belong to another controller) gets an address from a pool, keeps it while
// it lives, and frees it when it is deleted or stops being a LoadBalancer.

/** The default pool: the top of kind's Docker network, the range MetalLB's kind guide uses. */
export const DEFAULT_LB_RANGE = '172.18.255.1-172.18.255.254';

export interface LbService {
  namespace: string;
  name: string;
  uid: string;
  creationTimestamp: string;
  type?: string;
  loadBalancerClass?: string;
  /** spec.loadBalancerIP (deprecated, still honoured by most implementations). */
  requestedIp?: string;
  /** status.loadBalancer.ingress[].ip */
  ingressIps: string[];
}

export interface LbChange {
  namespace: string;
  name: string;
  /** The address to set; undefined clears the status (the Service is no LoadBalancer any more). */
  ip?: string;
}

export interface LbPlan {
  changes: LbChange[];
  /** LoadBalancer Services left without an address: the pool is used up. */
  starved: string[];
}

const toInt = (ip: string): number | undefined => {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
};
const toIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** "a.b.c.d-a.b.c.e" → the addresses, in order; throws naming the range when it is not one. */
export function parseRange(range: string): string[] {
  const [from = '', to = from] = range.split('-').map((s) => s.trim());
  const a = toInt(from);
  const b = toInt(to);
  if (a === undefined || b === undefined || b < a || b - a > 65_535) {
    throw new Error(`load-balancer range "${range}" is not first-last IPv4 addresses (e.g. ${DEFAULT_LB_RANGE})`);
  }
  return Array.from({ length: b - a + 1 }, (_, i) => toIp(a + i));
}

const isOurs = (s: LbService) => s.type === 'LoadBalancer' && !s.loadBalancerClass;
const key = (s: LbService) => `${s.namespace}/${s.name}`;

/**
 * The status changes that make every LoadBalancer Service hold exactly one address of the pool, no
 * two the same (the older Service keeps a contested address), and no other Service hold one.
 */
export function planLoadBalancers(services: readonly LbService[], pool: readonly string[]): LbPlan {
  const inPool = new Set(pool);
  const ordered = [...services].sort(
    (x, y) => x.creationTimestamp.localeCompare(y.creationTimestamp) || x.uid.localeCompare(y.uid),
  );
  const taken = new Set<string>();
  const keep = new Map<string, string>();
  for (const s of ordered.filter(isOurs)) {
    const held = s.ingressIps.find((ip) => inPool.has(ip) && !taken.has(ip));
    const wanted = s.requestedIp === undefined || s.requestedIp === held;
    if (held !== undefined && s.ingressIps.length === 1 && wanted) {
      taken.add(held);
      keep.set(key(s), held);
    }
  }
  const changes: LbChange[] = [];
  const starved: string[] = [];
  let next = 0;
  for (const s of ordered) {
    if (!isOurs(s)) {
      if (s.ingressIps.some((ip) => inPool.has(ip))) changes.push({ namespace: s.namespace, name: s.name });
      continue;
    }
    if (keep.has(key(s))) continue;
    let ip: string | undefined;
    if (s.requestedIp !== undefined && inPool.has(s.requestedIp) && !taken.has(s.requestedIp)) ip = s.requestedIp;
    while (ip === undefined && next < pool.length) {
      const candidate = pool[next++];
      if (candidate !== undefined && !taken.has(candidate)) ip = candidate;
    }
    if (ip === undefined) {
      starved.push(key(s));
      continue;
    }
    taken.add(ip);
    changes.push({ namespace: s.namespace, name: s.name, ip });
  }
  return { changes, starved };
}

/** A coordination.k8s.io Lease as the assigner reads it. */
export interface LeaseView {
  holder?: string;
  renewTime?: string;
  durationSeconds?: number;
}

/**
 * Whether `me` may take or keep the lease: one assigner acts per cluster, however many run (a fleet's
 * own and one per test run that reuses clusters started without one).
 */
export function mayHoldLease(lease: LeaseView | undefined, me: string, now: number): boolean {
  if (!lease?.holder || lease.holder === me) return true;
  const renewed = Date.parse(lease.renewTime ?? '');
  return Number.isNaN(renewed) || renewed + (lease.durationSeconds ?? 0) * 1000 < now;
}
