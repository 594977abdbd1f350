import type { StatusView } from '@flotilla/proto/api';
import { describe, expect, it } from 'vitest';
import { NotReadyError } from './errors.js';
import { rolloutProgress, waitForRollout } from './wait.js';

const NEW = 'b'.repeat(40);
const OLD = 'a'.repeat(40);

function view(targets: [cluster: string, state: StatusView['state'], revision: string | undefined][]): StatusView {
  return {
    state: 'Ready',
    environments: [
      {
        name: 'prod',
        branch: 'prod',
        state: 'Ready',
        clusters: targets.map(([cluster, state, revision]) => ({
          cluster,
          condition: 'Connected' as const,
          state,
          targets: [{ target: 'web', state, ...(revision ? { revision } : {}), message: '' }],
        })),
      },
    ],
  };
}

describe('rolloutProgress', () => {
  it('counts a deployment done only when Ready at the commit', () => {
    const p = rolloutProgress(
      view([
        ['c1', 'Ready', NEW],
        ['c2', 'Ready', OLD],
        ['c3', 'WaitApplied', NEW],
        ['c4', 'Pending', undefined],
      ]),
      'prod',
      NEW,
    );
    expect(p).toMatchObject({ total: 4, done: 1 });
    expect(p.waiting).toEqual([
      'c2/web: Ready at aaaaaaa',
      'c3/web: WaitApplied at the commit',
      'c4/web: Pending at nothing yet',
    ]);
  });
});

describe('waitForRollout', () => {
  it('polls until every deployment is Ready at the commit', async () => {
    const answers = [view([['c1', 'Ready', OLD]]), view([['c1', 'WaitApplied', NEW]]), view([['c1', 'Ready', NEW]])];
    const progress: number[] = [];
    const p = await waitForRollout(
      {
        status: async () => answers.shift() ?? view([]),
        sleep: async () => {},
        onProgress: (x) => progress.push(x.done),
      },
      { environment: 'prod', commit: NEW, timeoutMs: 60_000 },
    );
    expect(p).toMatchObject({ total: 1, done: 1 });
    expect(answers).toHaveLength(0);
    expect(progress).toEqual([0, 0, 1]);
  });

  it('gives up at the deadline naming what is still waiting', async () => {
    let t = 0;
    const err = await waitForRollout(
      { status: async () => view([['c1', 'ErrApplied', NEW]]), now: () => t, sleep: async (ms) => void (t += ms) },
      { environment: 'prod', commit: NEW, timeoutMs: 10_000, intervalMs: 1000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotReadyError);
    expect((err as Error).message).toMatch(/prod is not Ready at bbbbbbb after 10s: 0\/1 .*c1\/web: ErrApplied/);
  });
});
