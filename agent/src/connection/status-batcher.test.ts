import type { DeploymentStatus } from '@flotilla/proto';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_WEIGHT, StatusBatcher } from './status-batcher.js';

const status = (deployment: string, state: string, message = '', generation = 1, objects = 0): DeploymentStatus => ({
  deployment,
  generation,
  state: state as DeploymentStatus['state'],
  message,
  objects: Array.from({ length: objects }, (_, i) => ({ object: { kind: 'ConfigMap', name: `o${i}` } })),
});

describe('StatusBatcher', () => {
  it('sends one status alone and several in one batch, in the order they were reported', () => {
    const b = new StatusBatcher();
    expect(b.push(status('dev/web', 'BUNDLE_STATE_READY'))).toBe(true);
    expect(b.drain()).toEqual([{ status: status('dev/web', 'BUNDLE_STATE_READY') }]);
    expect(b.push(status('dev/web', 'BUNDLE_STATE_READY'))).toBe(true);
    expect(b.push(status('dev/db', 'BUNDLE_STATE_NOT_READY'))).toBe(false);
    expect(b.drain()).toEqual([
      { statuses: { statuses: [status('dev/web', 'BUNDLE_STATE_READY'), status('dev/db', 'BUNDLE_STATE_NOT_READY')] } },
    ]);
    expect(b.size).toBe(0);
    expect(b.drain()).toEqual([]);
  });

  it('keeps the latest status of a bundle and generation, and the first that settles it', () => {
    const b = new StatusBatcher();
    b.push(status('dev/web', 'BUNDLE_STATE_WAIT_APPLIED', 'applying'));
    b.push(status('dev/web', 'BUNDLE_STATE_NOT_READY', 'rolling out'));
    b.push(status('dev/web', 'BUNDLE_STATE_READY', 'first ready'));
    b.push(status('dev/web', 'BUNDLE_STATE_NOT_READY', 'a pod restarted'));
    b.push(status('dev/web', 'BUNDLE_STATE_READY', 'ready again'));
    // Another generation is another rollout: its statuses are kept apart.
    b.push(status('dev/web', 'BUNDLE_STATE_NOT_READY', 'next rollout', 2));
    expect(b.drain()[0]?.statuses?.statuses?.map((s) => s.message)).toEqual([
      'first ready',
      'ready again',
      'next rollout',
    ]);
  });

  it('splits a batch so that no message carries more than MAX_BATCH_WEIGHT statuses and objects', () => {
    const b = new StatusBatcher();
    const per = 499; // each status weighs 500
    for (let i = 0; i < 9; i++) b.push(status(`dev/t${i}`, 'BUNDLE_STATE_READY', '', 1, per));
    const messages = b.drain();
    const weights = messages.map((m) =>
      (m.statuses?.statuses ?? [m.status!]).reduce((w, s) => w + 1 + (s.objects?.length ?? 0), 0),
    );
    expect(weights.every((w) => w <= MAX_BATCH_WEIGHT)).toBe(true);
    expect(messages.flatMap((m) => (m.statuses?.statuses ?? [m.status!]).map((s) => s.deployment))).toEqual(
      Array.from({ length: 9 }, (_, i) => `dev/t${i}`),
    );
    // A status heavier than a whole batch still goes, alone.
    b.push(status('dev/huge', 'BUNDLE_STATE_READY', '', 1, MAX_BATCH_WEIGHT * 2));
    expect(b.drain()).toHaveLength(1);
  });
});
