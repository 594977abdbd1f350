import { describe, expect, it } from 'vitest';
import { CEL_LIMITS, type HealthCheckRule } from './health-checks.js';
import { healthCheckProblems } from './cel.js';

const rule = (o: Partial<HealthCheckRule> = {}): HealthCheckRule => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  current: "status.phase == 'Ready'",
  inProgress: '',
  failed: '',
  ...o,
});

describe('healthCheckProblems', () => {
  it('accepts rules that parse, one per group and kind', () => {
    expect(healthCheckProblems([rule(), rule({ apiVersion: 'other.com/v1' }), rule({ kind: 'Gadget' })])).toEqual([]);
  });

  it('names the field of each problem', () => {
    expect(
      healthCheckProblems([
        rule({ current: '' }),
        rule({ apiVersion: 'example.com/v2', failed: 'status.phase ==' }),
        rule({ apiVersion: 'a.io/v1', kind: '', inProgress: 'x'.repeat(CEL_LIMITS.maxExpressionLength + 1) }),
      ]),
    ).toEqual([
      { field: 'healthChecks[0].current', message: 'is required' },
      { field: 'healthChecks[1]', message: 'Widget (example.com/v2) already has a rule: healthChecks[0]' },
      { field: 'healthChecks[1].failed', message: expect.stringMatching(/^Unexpected/) },
      { field: 'healthChecks[2].kind', message: 'is required' },
      { field: 'healthChecks[2].inProgress', message: 'longer than 4096 characters' },
    ]);
  });

  it('refuses more rules than an agent takes', () => {
    const many = Array.from({ length: CEL_LIMITS.maxRules + 1 }, (_, i) => rule({ kind: `K${i}` }));
    expect(healthCheckProblems(many)).toEqual([{ field: 'healthChecks', message: 'more than 64 rules' }]);
  });
});
