import { describe, expect, it } from 'vitest';
import { Scope, WorkQueue, type WorkKey } from './work-queue.js';

const slot = (cluster: string, environment: string, target: string) => ({ cluster, environment, target });

describe('Scope: which deployments one pass decides', () => {
  it('covers a slot when any key does, and the pair only when all its clusters are in', () => {
    const s = Scope.of([
      { kind: 'cluster', cluster: 'eu-1' },
      { kind: 'environment', environment: 'prod' },
      { kind: 'target', target: 'web' },
      { kind: 'deployment', environment: 'dev', target: 'db' },
    ]);
    expect(s.covers(slot('eu-1', 'dev', 'api'))).toBe(true);
    expect(s.covers(slot('us-1', 'prod', 'api'))).toBe(true);
    expect(s.covers(slot('us-1', 'dev', 'web'))).toBe(true);
    expect(s.covers(slot('us-1', 'dev', 'db'))).toBe(true);
    expect(s.covers(slot('us-1', 'dev', 'api'))).toBe(false);
    expect(s.covers(slot('us-1', 'qa', 'db'))).toBe(false);
    // eu-1 alone does not make its pairs whole: a render status needs every cluster of the pair.
    expect(s.coversPair('dev', 'api')).toBe(false);
    expect(s.coversPair('prod', 'api')).toBe(true);
    expect(s.coversTarget('web')).toBe(true);
    expect(s.coversTarget('db')).toBe(false);
    expect(s.describe()).toEqual({ all: false, clusters: 1, environments: 1, targets: 1, deployments: 1 });
  });

  it('all covers everything; none covers nothing', () => {
    const all = Scope.of([{ kind: 'all' }]);
    expect(all.covers(slot('x', 'y', 'z')) && all.coversPair('y', 'z') && all.coversTarget('z')).toBe(true);
    const none = Scope.of([]);
    expect(none.describe()).toEqual({ all: false, clusters: 0, environments: 0, targets: 0, deployments: 0 });
    expect(none.covers(slot('x', 'y', 'z')) || none.coversPair('y', 'z')).toBe(false);
  });
});

describe('WorkQueue: keyed, coalescing, one pass at a time', () => {
  it('takes every key waiting into one pass; keys added during a pass wait for the next', async () => {
    const passes: ReturnType<Scope['describe']>[] = [];
    let running = 0;
    let overlapped = false;
    let release: (() => void) | undefined;
    const q = new WorkQueue(async (scope) => {
      running++;
      if (running > 1) overlapped = true;
      passes.push(scope.describe());
      if (passes.length === 1) await new Promise<void>((r) => (release = r));
      running--;
    });
    const many: WorkKey[] = Array.from({ length: 100 }, (_, i) => ({ kind: 'cluster', cluster: `c-${i % 10}` }));
    q.add(...many);
    q.add({ kind: 'target', target: 'web' });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(passes).toEqual([{ all: false, clusters: 10, environments: 0, targets: 1, deployments: 0 }]);
    // During the first pass: these coalesce into one second pass.
    q.add({ kind: 'cluster', cluster: 'c-1' });
    q.add({ kind: 'cluster', cluster: 'c-1' }, { kind: 'environment', environment: 'dev' });
    let idle = false;
    const done = q.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    release?.();
    await done;
    expect(passes).toEqual([
      { all: false, clusters: 10, environments: 0, targets: 1, deployments: 0 },
      { all: false, clusters: 1, environments: 1, targets: 0, deployments: 0 },
    ]);
    expect(overlapped).toBe(false);
    await q.stop();
  });

  it('reports a failed pass and goes on with the next keys', async () => {
    const errors: unknown[] = [];
    const seen: boolean[] = [];
    const q = new WorkQueue(
      async (scope) => {
        seen.push(scope.all);
        if (scope.all) throw new Error('render tool crashed');
      },
      (err) => errors.push(err),
    );
    q.add({ kind: 'all' });
    await q.idle();
    q.add({ kind: 'cluster', cluster: 'eu-1' });
    await q.idle();
    expect(seen).toEqual([true, false]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['render tool crashed']);
    await q.stop();
  });

  it('takes no keys once stopped, and stop waits for the pass running', async () => {
    let finished = false;
    const q = new WorkQueue(async () => {
      await new Promise((r) => setTimeout(r, 20));
      finished = true;
    });
    q.add({ kind: 'all' });
    await new Promise((r) => setImmediate(r));
    await q.stop();
    expect(finished).toBe(true);
    finished = false;
    q.add({ kind: 'all' });
    await q.idle();
    await new Promise((r) => setTimeout(r, 30));
    expect(finished).toBe(false);
  });
});
