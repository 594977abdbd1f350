import { describe, expect, it } from 'vitest';
import { DEFAULT_LB_RANGE, mayHoldLease, parseRange, planLoadBalancers, type LbService } from './lb-plan.js';

let n = 0;
const svc = (name: string, o: Partial<LbService> = {}): LbService => ({
  namespace: 'ns',
  name,
  uid: `uid-${name}`,
  creationTimestamp: `2026-01-01T00:00:${String(10 + n++).padStart(2, '0')}Z`,
  type: 'LoadBalancer',
  ingressIps: [],
  ...o,
});
const pool = parseRange('10.9.0.1-10.9.0.3');

describe('parseRange', () => {
  it('lists the addresses of a range, and of the default one', () => {
    expect(pool).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3']);
    expect(parseRange('10.9.0.255-10.9.1.0')).toEqual(['10.9.0.255', '10.9.1.0']);
    const all = parseRange(DEFAULT_LB_RANGE);
    expect([all.length, all[0], all.at(-1)]).toEqual([254, '172.18.255.1', '172.18.255.254']);
  });

  it.each(['10.9.0.3-10.9.0.1', '10.9.0', '10.9.0.1-x', '300.0.0.1'])('refuses %j, naming it', (range) => {
    expect(() => parseRange(range)).toThrow(`"${range}" is not first-last IPv4 addresses`);
  });
});

describe('planLoadBalancers', () => {
  it('gives each LoadBalancer Service the lowest free address, oldest first', () => {
    const a = svc('a');
    const b = svc('b');
    expect(planLoadBalancers([b, a, svc('c', { type: 'ClusterIP' })], pool)).toEqual({
      changes: [
        { namespace: 'ns', name: 'a', ip: '10.9.0.1' },
        { namespace: 'ns', name: 'b', ip: '10.9.0.2' },
      ],
      starved: [],
    });
  });

  it('keeps what is assigned (nothing to do), and reuses a deleted Service address', () => {
    const a = svc('a', { ingressIps: ['10.9.0.1'] });
    const b = svc('b', { ingressIps: ['10.9.0.2'] });
    expect(planLoadBalancers([a, b], pool).changes).toEqual([]);
    // a deleted: its address is free again, and the next Service gets it.
    expect(planLoadBalancers([b, svc('d')], pool).changes).toEqual([{ namespace: 'ns', name: 'd', ip: '10.9.0.1' }]);
  });

  it('the older Service keeps a contested address; the newer one moves', () => {
    const older = svc('older', { ingressIps: ['10.9.0.2'] });
    const newer = svc('newer', { ingressIps: ['10.9.0.2'] });
    expect(planLoadBalancers([newer, older], pool).changes).toEqual([
      { namespace: 'ns', name: 'newer', ip: '10.9.0.1' },
    ]);
  });

  it('honours spec.loadBalancerIP from the pool, and ignores Services of another loadBalancerClass', () => {
    const wants = svc('wants', { requestedIp: '10.9.0.3' });
    const other = svc('other', { loadBalancerClass: 'example.com/lb' });
    expect(planLoadBalancers([wants, other], pool).changes).toEqual([
      { namespace: 'ns', name: 'wants', ip: '10.9.0.3' },
    ]);
    const moved = svc('moved', { requestedIp: '10.9.0.2', ingressIps: ['10.9.0.1'] });
    expect(planLoadBalancers([moved], pool).changes).toEqual([{ namespace: 'ns', name: 'moved', ip: '10.9.0.2' }]);
  });

  it('clears the address of a Service that is no longer a LoadBalancer (not one from elsewhere)', () => {
    const was = svc('was', { type: 'ClusterIP', ingressIps: ['10.9.0.1'] });
    const foreign = svc('foreign', { type: 'ClusterIP', ingressIps: ['192.0.2.7'] });
    expect(planLoadBalancers([was, foreign], pool).changes).toEqual([{ namespace: 'ns', name: 'was' }]);
  });

  it('names the Services left without an address when the pool is used up', () => {
    const plan = planLoadBalancers([svc('a'), svc('b'), svc('c'), svc('d')], pool);
    expect(plan.changes.map((c) => c.ip)).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3']);
    expect(plan.starved).toEqual(['ns/d']);
  });
});

describe('mayHoldLease', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');
  it.each([
    ['no lease yet', undefined, true],
    ['released (no holder)', { holder: '' }, true],
    ['held by me', { holder: 'me', renewTime: '2026-01-01T00:00:59Z', durationSeconds: 10 }, true],
    ['held by another, renewed', { holder: 'other', renewTime: '2026-01-01T00:00:55Z', durationSeconds: 10 }, false],
    ['held by another, expired', { holder: 'other', renewTime: '2026-01-01T00:00:40Z', durationSeconds: 10 }, true],
  ])('%s → %s', (_, lease, expected) => {
    expect(mayHoldLease(lease, 'me', now)).toBe(expected);
  });
});
