import type { StatusView } from '@flotilla/proto/api';
import { describe, expect, it } from 'vitest';
import { allReady, eventLine, statusTable } from './status-view.js';

const view: StatusView = {
  state: 'ErrApplied',
  environments: [
    {
      name: 'dev',
      branch: 'dev',
      commit: 'aaaaaaaaaa',
      state: 'Ready',
      clusters: [
        {
          cluster: 'd1',
          condition: 'Connected',
          state: 'Ready',
          targets: [{ target: 'web', state: 'Ready', revision: 'aaaaaaaaaa', message: '' }],
        },
      ],
    },
    {
      name: 'prod',
      branch: 'prod',
      commit: 'bbbbbbbbbb',
      state: 'ErrApplied',
      clusters: [
        {
          cluster: 'p1',
          condition: 'Connected',
          state: 'Ready',
          targets: [{ target: 'web', state: 'Ready', revision: 'bbbbbbbbbb', message: '' }],
        },
        {
          cluster: 'p2',
          condition: 'Stale',
          state: 'ErrApplied',
          targets: [
            { target: 'web', state: 'Ready', revision: 'bbbbbbbbbb', message: '' },
            { target: 'db', state: 'ErrApplied', revision: 'cccccccccc', message: 'admission webhook denied' },
          ],
        },
      ],
    },
    { name: 'qa', branch: 'qa', state: 'Ready', clusters: [] },
  ],
};

describe('statusTable', () => {
  it('lists environments × clusters worst first, with the first problem', () => {
    const lines = statusTable(view, new Date()).split('\n');
    expect(lines[0]).toBe('Fleet: ErrApplied (3 environments)');
    expect(lines[1]).toMatch(
      /^ENVIRONMENT\s+COMMIT\s+CLUSTER\s+CONDITION\s+STATE\s+REVISION\s+TARGETS\s+SEEN\s+MESSAGE$/,
    );
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['prod', 'bbbbbbb', 'p2'],
      ['prod', 'bbbbbbb', 'p1'],
      ['dev', 'aaaaaaa', 'd1'],
      ['qa', '-', '(no clusters)'],
    ]);
    expect(lines[2]).toMatch(/Stale\s+ErrApplied\s+mixed\s+1\/2\s+-\s+db: ErrApplied admission webhook denied$/);
  });

  it("shows a failing target's next retry before its message", () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const retrying = structuredClone(view);
    retrying.environments[1]!.clusters[1]!.targets[1]!.retry = {
      attempt: 3,
      at: '2026-01-01T00:00:12.000Z',
      reason: 'ConfigMap/shop/web: namespaces "shop" not found',
    };
    expect(statusTable(retrying, now).split('\n')[2]).toMatch(
      /\s+db: ErrApplied \(retry #3 in 12s\) admission webhook denied$/,
    );
  });

  it('says so when there is nothing yet', () => {
    expect(statusTable({ state: 'Ready', environments: [] })).toMatch(/No environments yet/);
  });
});

describe('allReady', () => {
  it('is true only when the fleet and every environment are Ready', () => {
    expect(allReady(view)).toBe(false);
    expect(allReady({ state: 'Ready', environments: [] })).toBe(true);
  });
});

describe('eventLine', () => {
  it('prints one event on one line with its subject and payload', () => {
    const line = eventLine({
      id: 42,
      at: '2026-01-01T00:00:00.000Z',
      kind: 'Promotion',
      environment: 'prod',
      actor: 'alice',
      payload: { from: 'staging', commits: 2 },
    });
    expect(line).toBe('    42  2026-01-01T00:00:00.000Z  Promotion           env=prod by alice from=staging commits=2');
  });
});
