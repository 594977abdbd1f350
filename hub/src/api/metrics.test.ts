import { describe, expect, it } from 'vitest';
import { RetentionSweeper } from '../store/index.js';
import { useTempStore } from '../store/testing.js';
import { HubMetrics } from './metrics.js';

const t = useTempStore();
const DAY = 86_400_000;

/** The value of one sample line of the exposition text. */
const sample = (text: string, line: string) =>
  Number(new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1]);

const GITOPS = [
  'flotilla_environment_deployments_total{environment="prod"}',
  'flotilla_environment_deployments_total{environment="staging"}',
  'flotilla_environment_rollouts_total{environment="prod",result="succeeded"}',
  'flotilla_environment_rollouts_total{environment="prod",result="failed"}',
  'flotilla_environment_rollout_success_ratio{environment="prod"}',
  'flotilla_environment_rollbacks_total{environment="prod"}',
  'flotilla_environment_promotions_total{environment="prod"}',
  'flotilla_environment_drift_incidents_total{environment="prod"}',
];

function history(): void {
  const slot = { cluster: 'c1', target: 'web', environment: 'prod' };
  const e = t.store.events;
  for (const commit of ['a', 'b', 'c'])
    e.append({ kind: 'CommitSeen', repo: 'apps', payload: { branch: 'main', commit } });
  e.append({ kind: 'CommitSeen', repo: 'apps', payload: { branch: 'staging', commit: 'd' } });
  for (const state of ['Ready', 'Ready', 'Ready', 'ErrApplied'])
    e.append({ kind: 'Applied', ...slot, payload: { state, durationMs: 1500 } });
  e.append({ kind: 'Rollback', environment: 'prod' });
  e.append({ kind: 'Promotion', environment: 'prod' });
  e.append({ kind: 'Promotion', environment: 'prod' });
  e.append({ kind: 'DriftDetected', ...slot, payload: { object: 'ConfigMap/shop/web' } });
  e.append({
    kind: 'DriftCorrected',
    ...slot,
    payload: { object: 'ConfigMap/shop/web', suppressed: { reports: 9, detected: 4 } },
  });
}

describe('the GitOps indicators', () => {
  it('stay right across a retention sweep, in the running hub and after a restart', async () => {
    t.store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
    t.store.environments.put({ name: 'staging', repo: 'apps', branch: 'staging' });
    t.store.environments.put({ name: 'prod', repo: 'apps', branch: 'main' });
    history();
    const running = new HubMetrics({ store: t.store, staleAfterMs: 45_000, processMetrics: false });
    const before = await running.text();
    expect(GITOPS.map((l) => sample(before, l))).toEqual([3, 1, 3, 1, 0.75, 1, 2, 5]);

    t.clock += 31 * DAY;
    const sweeper = new RetentionSweeper({
      events: t.store.events,
      policy: { maxAgeDays: 30, maxEvents: 0 },
      now: () => new Date(t.clock),
      sleep: async () => undefined,
    });
    expect(await sweeper.sweep()).toBe(13);
    expect(t.store.events.list()).toEqual([]);

    const after = await running.text();
    const restarted = await new HubMetrics({ store: t.store, staleAfterMs: 45_000, processMetrics: false }).text();
    expect(GITOPS.map((l) => sample(after, l))).toEqual([3, 1, 3, 1, 0.75, 1, 2, 5]);
    expect(GITOPS.map((l) => sample(restarted, l))).toEqual([3, 1, 3, 1, 0.75, 1, 2, 5]);

    // And they keep counting from there.
    t.store.events.append({ kind: 'Rollback', environment: 'prod' });
    expect(sample(await running.text(), 'flotilla_environment_rollbacks_total{environment="prod"}')).toBe(2);
  });
});
