import { describe, expect, it } from 'vitest';
import type { Cluster, Deployment, FleetEvent } from '../store/index.js';
import { clusterSummary, driftViews } from './views.js';

const cluster = (lastSeenAt?: string, extra: Partial<Cluster> = {}): Cluster => ({
  id: '1',
  name: 'eu-1',
  labels: { env: 'prod' },
  createdAt: '2026-01-01T00:00:00.000Z',
  credentialHash: 'h',
  ...(lastSeenAt ? { lastSeenAt } : {}),
  ...extra,
});
const deployment = (state: Deployment['state']): Deployment => ({
  cluster: 'eu-1',
  target: 'web',
  environment: 'prod',
  bundle: 'b',
  options: {},
  generation: 1,
  state,
  message: '',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('API views', () => {
  const now = new Date('2026-01-01T00:10:00.000Z');

  it('an agent silent longer than the window is Stale, not Failed: its deployments keep their last state', () => {
    const fresh = clusterSummary(cluster('2026-01-01T00:09:30.000Z'), [deployment('Ready')], now, 45_000);
    expect(fresh).toMatchObject({ condition: 'Connected', state: 'Ready', registered: true });
    const silent = clusterSummary(cluster('2026-01-01T00:05:00.000Z'), [deployment('Ready')], now, 45_000);
    expect(silent).toMatchObject({ condition: 'Stale', state: 'Ready', lastSeenAt: '2026-01-01T00:05:00.000Z' });
    expect(clusterSummary(cluster(), [], now, 45_000)).toMatchObject({ condition: 'NeverSeen', state: 'Ready' });
    const revoked = clusterSummary(cluster('2026-01-01T00:09:59.000Z', { revokedAt: 'x' }), [], now, 45_000);
    expect(revoked).toMatchObject({ condition: 'Revoked', registered: false });
  });

  it('rolls a cluster up to its worst deployment', () => {
    const s = clusterSummary(
      cluster('2026-01-01T00:09:59.000Z'),
      [deployment('Ready'), deployment('ErrApplied')],
      now,
      45_000,
    );
    expect(s).toMatchObject({ state: 'ErrApplied', deployments: 2 });
  });

  it('pairs drift detections with their corrections per object', () => {
    let id = 0;
    const ev = (kind: string, object: string): FleetEvent => ({
      id: ++id,
      at: `2026-01-01T00:00:0${id}.000Z`,
      kind,
      cluster: 'eu-1',
      target: 'web',
      environment: 'prod',
      payload: { object, fields: [], manager: 'kubectl' },
    });
    const events = [
      ev('DriftDetected', 'a'),
      ev('DriftDetected', 'b'),
      ev('DriftCorrected', 'a'),
      ev('DriftDetected', 'a'),
    ];
    expect(driftViews(events, false).map((d) => [d.object, d.eventId])).toEqual([
      ['b', 2],
      ['a', 4],
    ]);
    expect(driftViews(events, true).map((d) => [d.object, d.corrected])).toEqual([
      ['a', true],
      ['b', false],
      ['a', false],
    ]);
  });
});
