import { describe, expect, it } from 'vitest';
import { clusterCondition, rollupAll, rollupBy, type DeploymentView } from './rollup.js';

const d = (cluster: string, environment: string, state: DeploymentView['state']): DeploymentView => ({
  cluster,
  environment,
  target: 'web',
  state,
});

describe('status roll-ups', () => {
  const deployments = [
    d('a', 'dev', 'Ready'),
    d('b', 'dev', 'NotReady'),
    d('c', 'prod', 'Ready'),
    d('e', 'prod', 'ErrApplied'),
    d('f', 'prod', 'Modified'),
  ];

  it('lets the worst state win per environment', () => {
    const byEnv = rollupBy(deployments, (x) => x.environment);
    expect(byEnv.get('dev')).toEqual({ state: 'NotReady', counts: { Ready: 1, NotReady: 1 }, total: 2 });
    expect(byEnv.get('prod')?.state).toBe('ErrApplied');
    expect(rollupAll([]).state).toBe('Ready');
    expect(rollupAll(deployments).total).toBe(5);
  });

  it.each([
    [{ name: 'x' }, 'NeverSeen'],
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:50Z' }, 'Connected'],
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:10Z' }, 'Stale'],
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:59Z', revokedAt: '2026-01-01T00:00:30Z' }, 'Revoked'],
  ])('%j is %s after a 45 s window', (c, condition) => {
    expect(clusterCondition(c, new Date('2026-01-01T00:01:00Z'), 45_000)).toBe(condition);
  });
});
