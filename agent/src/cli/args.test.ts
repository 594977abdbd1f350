import { describe, expect, it } from 'vitest';
import { parseCli, parseDuration, UsageError } from './args.js';

describe('parseCli', () => {
  it('reads apply with every flag', () => {
    const cfg = parseCli(
      [
        'apply',
        '--kubeconfig',
        '/k',
        '--context',
        'c',
        '--deployment',
        'dev/web',
        '-n',
        'shop',
        '--no-prune',
        '--no-self-heal',
        '--force-conflicts',
        '--concurrency',
        '4',
        '--wait',
        '2m',
        '-o',
        'json',
        '/tmp/app',
      ],
      {},
    );
    expect(cfg).toEqual({
      command: 'apply',
      path: '/tmp/app',
      kubeconfig: '/k',
      context: 'c',
      deployment: 'dev/web',
      namespace: 'shop',
      prune: false,
      selfHeal: false,
      forceConflicts: true,
      inventoryNamespace: 'flotilla-system',
      concurrency: 4,
      waitMs: 120_000,
      output: 'json',
      logLevel: 'warn',
    });
  });

  it('defaults: $KUBECONFIG, a deployment from the path, table output', () => {
    const cfg = parseCli(['diff', '/tmp/apps/web.yaml'], { KUBECONFIG: '/a:/b' });
    expect(cfg).toMatchObject({
      command: 'diff',
      kubeconfig: '/a',
      deployment: 'cli/web',
      prune: true,
      selfHeal: true,
      output: 'table',
    });
  });

  it.each([
    [['deploy', 'x'], 'unknown command "deploy": use apply or diff'],
    [['apply'], "apply: give the bundle's directory or file"],
    [['apply', 'a', 'b'], 'apply: one path only (got also b)'],
    [['apply', '-o', 'yaml', 'a'], '--output: "yaml" is not table or json'],
    [['apply', '--concurrency', '0', 'a'], '--concurrency: "0" is not a positive integer'],
    [['apply', '--wait', 'soon', 'a'], '--wait: "soon" is not a duration (e.g. 90s, 5m)'],
    [
      ['apply', '--bundle', 'dev/web', 'a'],
      '--bundle is now --deployment (the same id, environment/target): --deployment dev/web',
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(new UsageError(message));
  });

  it('rejects unknown flags', () => {
    expect(() => parseCli(['apply', '--frobnicate', 'a'], {})).toThrow(UsageError);
  });

  it('parses durations', () => {
    expect([parseDuration('90', 'w'), parseDuration('500ms', 'w'), parseDuration('1.5h', 'w')]).toEqual([
      90_000, 500, 5_400_000,
    ]);
  });
});
