import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

describe('parseConfig: repo credentials, /metrics, failed logins', () => {
  it('defaults: <data-dir>/repo-secrets, FLOTILLA_REPO_, /metrics open, 20 failures per minute', () => {
    expect(parseConfig({ FLOTILLA_DATA_DIR: '/var/lib/flotilla' }, [])).toMatchObject({
      repoCredentials: { secretsDir: '/var/lib/flotilla/repo-secrets', envPrefix: 'FLOTILLA_REPO_' },
      metricsAuth: 'none',
      authFailureLimit: { burst: 20, periodSeconds: 60 },
    });
  });

  it('takes flags over environment variables', () => {
    const c = parseConfig(
      {
        FLOTILLA_REPO_SECRETS_DIR: '/etc/flotilla/git',
        FLOTILLA_METRICS_AUTH: 'none',
        FLOTILLA_AUTH_FAILURE_LIMIT: '5/30s',
      },
      ['--repo-env-prefix', 'GIT_', '--metrics-auth', 'token', '--auth-failure-limit', '100/1h'],
    );
    expect(c).toMatchObject({
      repoCredentials: { secretsDir: '/etc/flotilla/git', envPrefix: 'GIT_' },
      metricsAuth: 'token',
      authFailureLimit: { burst: 100, periodSeconds: 3600 },
    });
    const nested = parseConfig({}, ['--data-dir', 'd', '--repo-secrets-dir', 'd/repo-secrets/git']);
    expect(nested.repoCredentials.secretsDir).toBe(join(resolve('d'), 'repo-secrets', 'git'));
  });

  it.each([
    [['--repo-secrets-dir', '/var/lib/flotilla'], /"\/var\/lib\/flotilla" would expose the hub's data directory/],
    [['--repo-secrets-dir', '/var/lib'], /would expose the hub's data directory/],
    [['--repo-secrets-dir', '/var/lib/flotilla/tls'], /would expose the hub's data directory/],
    [['--repo-env-prefix', ''], /--repo-env-prefix .* must be letters/],
    [['--repo-env-prefix', 'GIT'], /must be letters, digits and '_' ending in '_'/],
    [['--repo-env-prefix', 'FLOTILLA_'], /not FLOTILLA_ alone/],
    [['--metrics-auth', 'basic'], /--metrics-auth .* "basic" is not one of none, token/],
    [['--auth-failure-limit', '0/1m'], /"0\/1m" is not <failures>\/<period>/],
    [['--auth-failure-limit', '20'], /is not <failures>\/<period>/],
  ])('names the bad field in %j', (argv, message) => {
    const run = () => parseConfig({ FLOTILLA_DATA_DIR: '/var/lib/flotilla' }, argv);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });
});
