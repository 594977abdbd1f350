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

  const now = new Date('2026-01-01T00:01:00Z');
  it.each([
    [{ name: 'x' }, true, 'NeverSeen'],
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:50Z' }, true, 'Connected'],
    // Heard 10 s ago, but no connection to this hub now (it restarted, or the agent's stream dropped).
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:50Z' }, false, 'Disconnected'],
    // A connection that has carried nothing for the whole window is not trusted either.
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:10Z' }, true, 'Stale'],
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:10Z' }, false, 'Stale'],
    [{ name: 'x', lastSeenAt: '2026-01-01T00:00:59Z', revokedAt: '2026-01-01T00:00:30Z' }, true, 'Revoked'],
  ])('%j (connected now: %s) is %s after a 45 s window', (c, connected, condition) => {
    const l = { now, staleAfterMs: 45_000, connected: new Set(connected ? ['x'] : []) };
    expect(clusterCondition(c, l)).toBe(condition);
  });
});
