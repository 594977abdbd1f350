import { describe, expect, it } from 'vitest';
import { ClaimIndex } from './claims.js';

describe('ClaimIndex: who holds and who wants each object', () => {
  it('the bundle whose inventory holds an object, and still wants it, is its holder', () => {
    const c = new ClaimIndex();
    c.record('dev/a', ['x'], ['x']);
    expect(c.holder('x', 'dev/b')).toBe('dev/a');
    expect(c.holder('x', 'dev/a')).toBeUndefined();
    expect(c.keeper('x', 'dev/b')).toBe('dev/a');
  });

  it('an object its holder gives up (a newer bundle, or leaving) may be taken, and is not deleted meanwhile', () => {
    const c = new ClaimIndex();
    c.record('dev/a', ['x', 'y'], ['x', 'y']);
    c.expect('dev/a', ['y']); // the next desired state moves x to dev/b
    c.expect('dev/b', ['x']);
    expect(c.holder('x', 'dev/b')).toBeUndefined();
    // dev/a applies first: x leaves it, and dev/b wants it: kept, not deleted.
    expect(c.keeper('x', 'dev/a')).toBe('dev/b');
    c.record('dev/a', ['y'], ['y']);
    c.record('dev/b', ['x'], ['x']);
    expect(c.holder('x', 'dev/a')).toBe('dev/b');
  });

  it('of two bundles asking for the same new object, the first by id gets it', () => {
    const c = new ClaimIndex();
    c.expect('dev/b', ['x']);
    c.expect('dev/a', ['x']);
    expect(c.holder('x', 'dev/b')).toBe('dev/a');
    expect(c.holder('x', 'dev/a')).toBeUndefined();
  });

  it('a record replaces what the bundle held and wanted before', () => {
    const c = new ClaimIndex();
    c.record('dev/a', ['x'], ['x']);
    c.record('dev/a', [], []);
    expect(c.keeper('x', 'dev/b')).toBeUndefined();
  });
});
