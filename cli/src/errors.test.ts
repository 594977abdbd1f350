import { describe, expect, it } from 'vitest';
import { errorText } from './base.js';
import { EXIT_CODES, HubError, NotReadyError, exitForStatus } from './errors.js';

describe('exit codes', () => {
  it.each([
    [400, 'usage'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [404, 'notFound'],
    [409, 'conflict'],
    [412, 'conflict'],
    [502, 'error'],
    [500, 'error'],
  ] as const)('HTTP %d → %s', (status, name) => expect(exitForStatus(status)).toBe(name));

  it('are distinct numbers', () => {
    const codes = Object.values(EXIT_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('errorText', () => {
  it("prints the hub's message, the conflicting files and the hint", () => {
    const err = new HubError(409, {
      code: 'PROMOTION_CONFLICT',
      message: 'merging staging into prod conflicts',
      hint: 'resolve it in Git',
      details: { files: ['apps/web/cm.yaml', 'apps/db/values.yaml'] },
    });
    expect(errorText(err)).toBe(
      [
        'Error: merging staging into prod conflicts',
        'Conflicting files:',
        '  apps/web/cm.yaml',
        '  apps/db/values.yaml',
        'Hint: resolve it in Git',
      ].join('\n'),
    );
    expect(err.toJSON()).toMatchObject({
      code: 'PROMOTION_CONFLICT',
      details: { files: ['apps/web/cm.yaml', 'apps/db/values.yaml'] },
    });
  });

  it('names the field only when the message does not', () => {
    const named = new HubError(400, {
      code: 'INVALID',
      message: 'body.url: must match',
      details: { field: 'body/url' },
    });
    expect(errorText(named)).toBe('Error: body.url: must match');
    const unnamed = new HubError(400, {
      code: 'INVALID',
      message: 'is not a label requirement',
      details: { field: 'selector' },
    });
    expect(errorText(unnamed)).toBe('Error: is not a label requirement\nField: selector');
  });

  it('prints errors of the CLI itself the same way', () => {
    expect(errorText(new NotReadyError('prod is not Ready', { hint: 'wait longer' }))).toBe(
      'Error: prod is not Ready\nHint: wait longer',
    );
  });
});
