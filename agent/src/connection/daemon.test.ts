import { describe, expect, it } from 'vitest';
import { parseDaemonArgs } from './daemon.js';

describe('parseDaemonArgs: transport', () => {
  it('dials the hub over gRPC by default', () => {
    const cfg = parseDaemonArgs(['--hub', 'hub:9443', '--cluster', 'alpha', '--insecure'], {});
    expect(cfg.nats).toBeUndefined();
    expect(cfg.hub).toBe('hub:9443');
  });

  it('over NATS needs no --hub and no gRPC TLS flags', () => {
    const cfg = parseDaemonArgs(
      ['--transport', 'nats', '--nats-url', 'nats://n:4222', '--cluster', 'alpha', '--nats-register-creds', 'r.creds'],
      {},
    );
    expect(cfg).toMatchObject({ nats: { url: 'nats://n:4222', registerCreds: 'r.creds' }, hub: 'nats://n:4222' });
    expect(cfg.tls).toBeUndefined();
    expect(
      parseDaemonArgs(['--cluster', 'a'], { FLOTILLA_TRANSPORT: 'nats', FLOTILLA_NATS_URL: 'nats://x:1' }).nats,
    ).toEqual({
      url: 'nats://x:1',
    });
  });

  it('names what is missing or wrong', () => {
    expect(() => parseDaemonArgs(['--transport', 'nats', '--cluster', 'a'], {})).toThrow(/--nats-url/);
    expect(() => parseDaemonArgs(['--transport', 'kafka', '--cluster', 'a'], {})).toThrow(
      /"kafka" is not grpc or nats/,
    );
  });
});
