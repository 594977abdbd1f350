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

  it("picks the agents' transport: gRPC by default, NATS by flag or environment", () => {
    expect(parseConfig({}, [])).toMatchObject({ transport: 'grpc', nats: { auth: 'jwt' } });
    expect(parseConfig({ FLOTILLA_TRANSPORT: 'nats', FLOTILLA_NATS_URL: 'nats://n1:4222' }, [])).toMatchObject({
      transport: 'nats',
      nats: { url: 'nats://n1:4222', auth: 'jwt' },
    });
    expect(parseConfig({}, ['--transport', 'nats', '--nats-url', 'tls://n:4222', '--nats-auth', 'none'])).toMatchObject(
      {
        transport: 'nats',
        nats: { url: 'tls://n:4222', auth: 'none' },
      },
    );
  });

  it.each([
    [{ FLOTILLA_HTTP_ADDR: 'nope' }, /FLOTILLA_HTTP_ADDR: "nope" is not host:port/],
    [{ FLOTILLA_HTTP_ADDR: 'h:99999' }, /not host:port/],
    [{ FLOTILLA_LOG_LEVEL: 'loud' }, /log level "loud"/],
    [{ FLOTILLA_TRANSPORT: 'carrier-pigeon' }, /transport "carrier-pigeon" is not grpc or nats/],
    [{ FLOTILLA_NATS_URL: 'localhost:4222' }, /NATS URL "localhost:4222" is not nats:\/\/host:port/],
    [{ FLOTILLA_NATS_AUTH: 'trust-me' }, /NATS auth "trust-me" is not jwt or none/],
  ])('names the bad field in %j', (env, message) => {
    expect(() => parseConfig(env, [])).toThrow(ConfigError);
    expect(() => parseConfig(env, [])).toThrow(message);
  });
});
