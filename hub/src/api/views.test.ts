import { describe, expect, it } from 'vitest';
import type { DriftView } from '@flotilla/proto/api';
import type { Cluster, Deployment, FleetEvent } from '../store/index.js';
import { clusterSummary, driftPage, environmentClusters, type DriftSource } from './views.js';

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
  const live = { now, staleAfterMs: 45_000, connected: new Set(['eu-1']) };

  it('an agent silent longer than the window is Stale, not Failed: its deployments keep their last state', () => {
    const fresh = clusterSummary(cluster('2026-01-01T00:09:30.000Z'), [deployment('Ready')], live);
    expect(fresh).toMatchObject({ condition: 'Connected', state: 'Ready', registered: true });
    const silent = clusterSummary(cluster('2026-01-01T00:05:00.000Z'), [deployment('Ready')], live);
    expect(silent).toMatchObject({ condition: 'Stale', state: 'Ready', lastSeenAt: '2026-01-01T00:05:00.000Z' });
    expect(clusterSummary(cluster(), [], live)).toMatchObject({ condition: 'NeverSeen', state: 'Ready' });
    const revoked = clusterSummary(cluster('2026-01-01T00:09:59.000Z', { revokedAt: 'x' }), [], live);
    expect(revoked).toMatchObject({ condition: 'Revoked', registered: false });
    // Heard 30 s ago, but its agent holds no connection to this hub now (after a hub restart).
    const gone = clusterSummary(cluster('2026-01-01T00:09:30.000Z'), [deployment('Ready')], {
      ...live,
      connected: new Set(),
    });
    expect(gone).toMatchObject({ condition: 'Disconnected', state: 'Ready' });
  });

  it("lists an environment's clusters by placement's rule: neither group nor selector is no cluster, not every one", () => {
    const env = { name: 'qa', repo: 'config', branch: 'qa', createdAt: '', updatedAt: '' } as const;
    const clusters = [cluster('2026-01-01T00:09:30.000Z'), { ...cluster(), name: 'gone', revokedAt: 'x' }];
    const groups = [{ name: 'prod', selector: 'env=prod', createdAt: '', updatedAt: '' }];
    expect(environmentClusters(env, groups, clusters)).toEqual([]);
    expect(environmentClusters({ ...env, group: 'prod' }, groups, clusters)).toEqual(['eu-1']);
    expect(environmentClusters({ ...env, selector: 'env=prod' }, groups, clusters)).toEqual(['eu-1']);
    expect(environmentClusters({ ...env, group: 'missing' }, groups, clusters)).toEqual([]);
  });

  it('rolls a cluster up to its worst deployment', () => {
    const s = clusterSummary(
      cluster('2026-01-01T00:09:59.000Z'),
      [deployment('Ready'), deployment('ErrApplied')],
      live,
    );
    expect(s).toMatchObject({ state: 'ErrApplied', deployments: 2 });
  });

  describe('drift pages', () => {
    let id = 0;
    const ev = (kind: string, object: string, extra: Record<string, unknown> = {}): FleetEvent => ({
      id: ++id,
      at: `2026-01-01T00:00:${String(id).padStart(2, '0')}.000Z`,
      kind,
      cluster: 'eu-1',
      target: 'web',
      environment: 'prod',
      payload: { object, fields: [], manager: 'kubectl', ...extra },
    });
    /** The event log as the API reads it, from a list: newest first, neighbours per object. */
    const source = (events: FleetEvent[]): DriftSource => {
      const src = {
        older(before: number, n: number) {
          return events
            .filter((e) => e.id < before)
            .reverse()
            .slice(0, n);
        },
        neighbor(e: FleetEvent, side: 'next' | 'prev') {
          const same = events.filter((x) => x.payload.object === e.payload.object);
          const i = same.indexOf(e);
          return side === 'next' ? same[i + 1] : same[i - 1];
        },
      };
      return src;
    };
    const log = () => {
      id = 0;
      return [
        ev('DriftDetected', 'a'), // 1: corrected by 3
        ev('DriftDetected', 'b'), // 2: current
        ev('DriftCorrected', 'a'), // 3: paired with 1
        ev('DriftDetected', 'a'), // 4: followed by 5, another detection: not corrected, not current
        ev('DriftDetected', 'a'), // 5: current
        ev('DriftCorrected', 'c'), // 6: self-heal reported it corrected at once: its own item
        ev('DriftCorrected', 'c', { suppressed: { reports: 7, detected: 7 }, truncated: true }), // 7: likewise
      ];
    };

    it('pairs each report with the next one of its object: current drift and history', () => {
      const src = source(log());
      expect(driftPage(src, { history: false, limit: 10 })).toEqual({
        items: [
          expect.objectContaining({ object: 'b', eventId: 2 }),
          expect.objectContaining({ object: 'a', eventId: 5 }),
        ],
        more: false,
      });
      const history = driftPage(src, { history: true, limit: 10 });
      expect(history.items.map((d) => [d.eventId, d.object, d.corrected, d.correctedAt?.slice(17, 19)])).toEqual([
        [1, 'a', true, '03'],
        [2, 'b', false, undefined],
        [4, 'a', false, undefined],
        [5, 'a', false, undefined],
        [6, 'c', true, '06'],
        [7, 'c', true, '07'],
      ]);
      expect(history.items.at(-1)).toMatchObject({ suppressed: 7, truncated: true });
    });

    it('dates drift by the agent’s times (a report after an outage), never after the hub received it', () => {
      id = 0;
      const ms = (s: string) => Date.parse(`2026-01-01T00:00:${s}.000Z`);
      // Reported at 01 and 02: seen at 00.5 by the agent, corrected at 00.8 while the hub was away.
      const detected = ev('DriftDetected', 'a', { changedAt: ms('00'), detectedAt: ms('00') + 500 });
      const corrected = ev('DriftCorrected', 'a', { detectedAt: ms('00') + 500, correctedAt: ms('00') + 800 });
      // Self-heal's one report, from an agent clock ahead (stored before the hub clamped it).
      const ahead = ev('DriftCorrected', 'b', { detectedAt: ms('09'), correctedAt: ms('09') });
      const items = driftPage(source([detected, corrected, ahead]), { history: true, limit: 10 }).items;
      expect(items).toEqual([
        expect.objectContaining({
          object: 'a',
          changedAt: '2026-01-01T00:00:00.000Z',
          detectedAt: '2026-01-01T00:00:00.500Z',
          correctedAt: '2026-01-01T00:00:00.800Z',
          reportedAt: '2026-01-01T00:00:01.000Z',
        }),
        expect.objectContaining({
          object: 'b',
          detectedAt: '2026-01-01T00:00:03.000Z',
          correctedAt: '2026-01-01T00:00:03.000Z',
          reportedAt: '2026-01-01T00:00:03.000Z',
        }),
      ]);
      expect(items[1]).not.toHaveProperty('changedAt');
    });

    it('pages back with `before`, each item on exactly one page, whatever the page size', () => {
      const src = source(log());
      const all = driftPage(src, { history: true, limit: 100 }).items;
      for (const limit of [1, 2, 3, 4]) {
        const seen: DriftView[] = [];
        let before: number | undefined;
        for (;;) {
          const p = driftPage(src, { history: true, limit, ...(before ? { before } : {}) });
          expect(p.items.length).toBeLessThanOrEqual(limit);
          seen.unshift(...p.items);
          if (!p.more) break;
          before = p.next?.before;
        }
        expect(seen).toEqual(all);
      }
    });

    it('reads at most `scan` events for one page, and says there is more', () => {
      id = 0;
      // Many corrected reports (not current), one current detection at the very start.
      const events = [
        ev('DriftDetected', 'old'),
        ...Array.from({ length: 50 }, (_, i) => ev('DriftCorrected', `o${i}`)),
      ];
      const src = source(events);
      const first = driftPage(src, { history: false, limit: 10, scan: 20 });
      expect(first).toEqual({ items: [], more: true, next: { before: 32 } });
      let p = first;
      while (p.items.length === 0 && p.more)
        p = driftPage(src, { history: false, limit: 10, scan: 20, before: p.next!.before });
      expect(p.items.map((d) => d.object)).toEqual(['old']);
      expect(p.more).toBe(false);
    });
  });
});
