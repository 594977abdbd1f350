import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../objects.js';
import { CEL_LIMITS, celProblem, customHealth, type HealthCheck } from './health-cel.js';
import { healthOf } from './health.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

// Flux's example for cert-manager's Certificate (RFC-0009), which looks at Issuing before Ready.
const certificate: HealthCheck = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  inProgress:
    "status.conditions.filter(e, e.type == 'Issuing').all(e, e.observedGeneration == metadata.generation && e.status == 'True')",
  failed:
    "status.conditions.filter(e, e.type == 'Ready').all(e, e.observedGeneration == metadata.generation && e.status == 'False')",
  current:
    "status.conditions.filter(e, e.type == 'Ready').all(e, e.observedGeneration == metadata.generation && e.status == 'True')",
};

function cert(conditions: object[], apiVersion = 'cert-manager.io/v1'): KubeObject {
  return { apiVersion, kind: 'Certificate', metadata: { name: 'c', generation: 2 }, status: { conditions } };
}
const c = (type: string, status: string) => ({ type, status, observedGeneration: 2 });
const check = (o: Partial<HealthCheck>): HealthCheck => ({
  apiVersion: 'x.io/v1',
  kind: 'W',
  current: 'true',
  inProgress: '',
  failed: '',
  ...o,
});
const widget = (fields: object = {}): KubeObject => ({
  apiVersion: 'x.io/v1',
  kind: 'W',
  metadata: { name: 'w' },
  ...fields,
});

describe('custom health from CEL', () => {
  const custom = customHealth([certificate]);

  it.each([
    ['issuing', [c('Issuing', 'True'), c('Ready', 'True')], 'InProgress'],
    // `all` holds on an empty list: without an Issuing condition, inProgress holds (as in Flux).
    ['failed', [c('Issuing', 'False'), c('Ready', 'False')], 'Failed'],
    ['current', [c('Issuing', 'False'), c('Ready', 'True')], 'Ready'],
  ] as const)('tries inProgress, failed, current in this order: %s', (_n, conditions, health) => {
    expect(healthOf(cert([...conditions]), NOW, custom).health).toBe(health);
  });

  it('says which expression decided', () => {
    expect(healthOf(cert([c('Issuing', 'False'), c('Ready', 'False')]), NOW, custom).message).toMatch(
      /^failed: status\.conditions\.filter/,
    );
  });

  it('is InProgress while no expression holds', () => {
    const r = healthOf(
      widget({ status: { phase: 'Pending' } }),
      NOW,
      customHealth([check({ current: "status.phase == 'Running'" })]),
    );
    expect(r).toEqual({ health: 'InProgress', message: "not yet current: status.phase == 'Running'" });
  });

  it('covers the kind in its group, in any version, and leaves other kinds to the built-in rules', () => {
    expect(healthOf(cert([c('Issuing', 'False'), c('Ready', 'False')], 'cert-manager.io/v2'), NOW, custom).health).toBe(
      'Failed',
    );
    const other = { ...cert([c('Ready', 'False')]), apiVersion: 'acme.cert-manager.io/v1' };
    expect(healthOf(other, NOW, custom)).toEqual({ health: 'InProgress', message: 'Ready is False' });
  });

  it('reads integers as CEL ints and fractions as doubles, as the apiserver does', () => {
    const rule = check({ current: 'status.ready == spec.replicas && status.ratio < 1.0 && status.ready + 1 == 4' });
    expect(
      healthOf(widget({ spec: { replicas: 3 }, status: { ready: 3, ratio: 0.5 } }), NOW, customHealth([rule])).health,
    ).toBe('Ready');
  });

  it('has optional fields and `has`, and status before anyone writes it', () => {
    const rule = check({
      current: "status.?conditions.orValue([]).exists(x, x.type == 'Synced') || has(status.phase)",
    });
    expect(healthOf(widget(), NOW, customHealth([rule])).health).toBe('InProgress');
    expect(healthOf(widget({ status: { phase: 'Up' } }), NOW, customHealth([rule])).health).toBe('Ready');
  });

  it('reports an evaluation error as the object health message, naming the rule and the expression', () => {
    expect(healthOf(widget({ status: {} }), NOW, customHealth([check({ failed: "status.phase == 'Bad'" })]))).toEqual({
      health: 'Unknown',
      message: 'health check for W.x.io: failed: No such key: phase',
    });
  });

  it('reports a result that is not a bool', () => {
    expect(healthOf(widget(), NOW, customHealth([check({ current: 'metadata.name' })])).message).toBe(
      'health check for W.x.io: current: returned a string, not a bool',
    );
  });

  it('reports an expression that does not parse, without evaluating the others', () => {
    const r = healthOf(widget(), NOW, customHealth([check({ inProgress: 'status.', current: 'true' })]));
    expect(r.health).toBe('Unknown');
    expect(r.message).toMatch(/^health check for W\.x\.io: inProgress: /);
  });

  it('stops an evaluation at its cost limit, and evaluates the next one normally', () => {
    const list = Array.from({ length: 2_000 }, (_, i) => i);
    const nested = check({ current: 'spec.l.all(a, spec.l.all(b, spec.l.all(x, a + b + x >= 0)))' });
    const started = performance.now();
    expect(healthOf(widget({ spec: { l: list } }), NOW, customHealth([nested]))).toEqual({
      health: 'Unknown',
      message: `health check for W.x.io: current: evaluation stopped at its cost limit (${CEL_LIMITS.evaluationMs} ms)`,
    });
    // 8·10⁹ steps otherwise; the bound is loose, a loaded machine only delays the watchdog.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(healthOf(widget({ spec: { l: [1, 2] } }), NOW, customHealth([nested])).health).toBe('Ready');
  });

  it('stops a regular expression that backtracks without end', () => {
    const redos = check({ current: "spec.s.matches('^(a+)+$')" });
    const r = healthOf(widget({ spec: { s: `${'a'.repeat(40)}!` } }), NOW, customHealth([redos]));
    expect(r.message).toMatch(/cost limit/);
  });

  it('keeps the steps that come before it: being deleted, generation not observed', () => {
    const custom = customHealth([check({})]);
    expect(healthOf(widget({ metadata: { name: 'w', deletionTimestamp: 'now' } }), NOW, custom).message).toBe(
      'being deleted',
    );
    const stale = widget({ metadata: { name: 'w', generation: 2 }, status: { observedGeneration: 1 } });
    expect(healthOf(stale, NOW, custom).health).toBe('InProgress');
  });
});

describe('celProblem', () => {
  it('accepts a valid expression and names what is wrong with others', () => {
    expect(celProblem("status.phase == 'Running'")).toBeUndefined();
    expect(celProblem('status.phase ==')).toMatch(/Unexpected/);
    expect(celProblem('x'.repeat(CEL_LIMITS.maxExpressionLength + 1))).toBe('longer than 4096 characters');
    expect(celProblem(Array.from({ length: 300 }, () => 'a').join(' + '))).toMatch(/maxAstNodes/);
  });
});
