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

describe('parseDaemonArgs: retries of failed applies', () => {
  const base = ['--hub', 'hub:9443', '--cluster', 'alpha', '--insecure'];
  it('keeps the default backoff unless told, and takes seconds from flags or the environment', () => {
    expect(parseDaemonArgs(base, {}).retry).toBeUndefined();
    expect(parseDaemonArgs([...base, '--retry-base-seconds', '0.5', '--retry-max-seconds', '60'], {}).retry).toEqual({
      baseMs: 500,
      maxMs: 60_000,
    });
    expect(parseDaemonArgs(base, { FLOTILLA_RETRY_BASE_SECONDS: '120' }).retry).toEqual({
      baseMs: 120_000,
      maxMs: 300_000,
    });
    expect(parseDaemonArgs(base, { FLOTILLA_RETRY_BASE_SECONDS: '600' }).retry).toEqual({
      baseMs: 600_000,
      maxMs: 600_000,
    });
  });

  it('names a bad value', () => {
    expect(() => parseDaemonArgs([...base, '--retry-base-seconds', 'soon'], {})).toThrow(
      /--retry-base-seconds "soon" is not a positive number of seconds/,
    );
    expect(() => parseDaemonArgs([...base, '--retry-base-seconds', '10', '--retry-max-seconds', '5'], {})).toThrow(
      /--retry-max-seconds 5 is less than the base delay of 10 s/,
    );
  });
});
