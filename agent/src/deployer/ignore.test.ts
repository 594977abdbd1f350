import { describe, expect, it } from 'vitest';
import type { IgnoreRule } from './bundle.js';
import { isIgnored, selects, underPointer } from './ignore.js';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web-1' };
const rule = (object: IgnoreRule['object'], jsonPointers: string[] = [], managers: string[] = []): IgnoreRule => ({
  object,
  jsonPointers,
  managers,
});

describe('ignore rules', () => {
  it.each([
    [{}, true],
    [{ kind: 'Deployment' }, true],
    [{ apiVersion: 'apps' }, true],
    [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web-*' }, true],
    [{ kind: 'StatefulSet' }, false],
    [{ namespace: 'other' }, false],
    [{ name: 'web' }, false],
  ])('selector %j matches: %s', (object, want) => expect(selects(rule(object), ref)).toBe(want));

  it('covers a pointer and what lies beneath it, not siblings with a common prefix', () => {
    expect(underPointer('/spec/replicas', '/spec/replicas')).toBe(true);
    expect(underPointer('/spec/template/spec', '/spec/template')).toBe(true);
    expect(underPointer('/spec/replicasX', '/spec/replicas')).toBe(false);
  });

  it('silences by pointer or by the manager that holds the field', () => {
    const rules = [rule({}, ['/spec/replicas']), rule({}, [], ['hpa-controller'])];
    expect(isIgnored(rules, '/spec/replicas')).toBe(true);
    expect(isIgnored(rules, '/spec/template/spec/containers/0/image', 'hpa-controller')).toBe(true);
    expect(isIgnored(rules, '/spec/template/spec/containers/0/image', 'kubectl-edit')).toBe(false);
  });
});
