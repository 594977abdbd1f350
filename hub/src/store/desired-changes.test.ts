import { describe, expect, it } from 'vitest';
import { desiredChanges } from './desired-changes.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('desiredChanges: which clusters to tell, once', () => {
  it('tells the clusters changed in one turn once, sorted, each once', async () => {
    const d = desiredChanges();
    const told: string[][] = [];
    d.subscribe((c) => told.push(c));
    d.changed('b');
    d.changed('a');
    d.changed('b');
    expect(told).toEqual([]); // not inside the writer's own call stack
    await turn();
    d.changed('c');
    await turn();
    expect(told).toEqual([['a', 'b'], ['c']]);
  });

  it('holds what a multi-turn change writes until it settles, even when it fails', async () => {
    const d = desiredChanges();
    const told: string[][] = [];
    d.subscribe((c) => told.push(c));
    await d.held(async () => {
      d.changed('eu-1');
      await turn();
      d.changed('us-1');
      await turn();
      expect(told).toEqual([]);
    });
    await turn();
    expect(told).toEqual([['eu-1', 'us-1']]);
    await expect(
      d.held(async () => {
        d.changed('ap-1');
        await turn();
        throw new Error('render tool crashed');
      }),
    ).rejects.toThrow('render tool crashed');
    await turn();
    expect(told).toEqual([['eu-1', 'us-1'], ['ap-1']]);
  });

  it('a listener that throws does not keep the others from hearing', async () => {
    const errors: unknown[] = [];
    const d = desiredChanges((e) => errors.push(e));
    const told: string[][] = [];
    d.subscribe(() => {
      throw new Error('transport down');
    });
    const off = d.subscribe((c) => told.push(c));
    d.changed('a');
    await turn();
    off();
    d.changed('b');
    await turn();
    expect(told).toEqual([['a']]);
    expect(errors).toHaveLength(2);
  });
});
