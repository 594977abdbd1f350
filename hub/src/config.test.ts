import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('uses defaults, then environment, then flags', () => {
    expect(parseConfig({}, [])).toEqual(defaultConfig());
    const fromEnv = parseConfig({ FLOTILLA_DATA_DIR: '/var/lib/flotilla', FLOTILLA_HTTP_ADDR: '0.0.0.0:9000' }, []);
    expect(fromEnv).toMatchObject({ dataDir: '/var/lib/flotilla', http: { host: '0.0.0.0', port: 9000 } });
    const flags = parseConfig({ FLOTILLA_HTTP_ADDR: '0.0.0.0:9000' }, ['--http', '[::1]:7000', '--data-dir', 'd']);
    expect(flags).toMatchObject({ http: { host: '::1', port: 7000 }, dataDir: resolve('d') });
  });

  it.each([
    [{ FLOTILLA_HTTP_ADDR: 'nope' }, /FLOTILLA_HTTP_ADDR: "nope" is not host:port/],
    [{ FLOTILLA_HTTP_ADDR: 'h:99999' }, /not host:port/],
    [{ FLOTILLA_LOG_LEVEL: 'loud' }, /log level "loud"/],
  ])('names the bad field in %j', (env, message) => {
    expect(() => parseConfig(env, [])).toThrow(ConfigError);
    expect(() => parseConfig(env, [])).toThrow(message);
  });
});
