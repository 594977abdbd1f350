import { describe, expect, it } from 'vitest';
import { jsonDiff } from './jsondiff.js';

describe('jsonDiff', () => {
  it('lists changed leaves and ignores server bookkeeping', () => {
    const before = { metadata: { name: 'a', resourceVersion: '1', labels: { x: '1' } }, data: { a: '1', b: '2' } };
    const after = { metadata: { name: 'a', resourceVersion: '2', labels: { x: '1', y: '2' } }, data: { a: '9' } };
    expect(jsonDiff(before, after)).toEqual([
      { path: '/data/a', before: '1', after: '9' },
      { path: '/data/b', before: '2' },
      { path: '/metadata/labels/y', after: '2' },
    ]);
  });

  it('treats a created object as one whole change per top-level field', () => {
    expect(jsonDiff(undefined, { data: { a: '1' } })).toEqual([{ path: '', after: { data: { a: '1' } } }]);
  });
});
