import { describe, expect, it } from 'vitest';
import { fromLabelSelector, matches, parseSelector, SelectorSyntaxError } from './selector.js';

const prodEu = { env: 'prod', region: 'eu', tier: 'gold' };

describe('label selectors', () => {
  it.each([
    ['', prodEu, true],
    ['env=prod', prodEu, true],
    ['env==prod', prodEu, true],
    ['env=dev', prodEu, false],
    ['env!=dev', prodEu, true],
    ['env!=prod', prodEu, false],
    ['missing!=x', prodEu, true],
    ['region in (eu,us)', prodEu, true],
    ['region in (us, ap)', prodEu, false],
    ['region notin (us,ap)', prodEu, true],
    ['missing notin (a)', prodEu, true],
    ['tier', prodEu, true],
    ['canary', prodEu, false],
    ['!canary', prodEu, true],
    ['!tier', prodEu, false],
    ['env=prod, region in (eu,us), !canary', prodEu, true],
    ['env=prod,region in (us),!canary', prodEu, false],
    ['example.com/team=web', { 'example.com/team': 'web' }, true],
  ])('%j on %j → %s', (selector, labels, expected) => {
    expect(matches(parseSelector(selector), labels)).toBe(expected);
  });

  it.each(['env=prod,=x', 'env in prod', 'bad key=x', 'env=has space x', 'env=-bad'])('refuses %j, naming it', (s) => {
    expect(() => parseSelector(s)).toThrow(SelectorSyntaxError);
    expect(() => parseSelector(s)).toThrow(`label selector "${s}"`);
  });

  it('reads the structured form', () => {
    const reqs = fromLabelSelector({
      matchLabels: { env: 'prod' },
      matchExpressions: [
        { key: 'region', operator: 'In', values: ['eu'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(matches(reqs, prodEu)).toBe(true);
    expect(matches(reqs, { ...prodEu, canary: 'true' })).toBe(false);
  });
});
