import { describe, expect, it } from 'vitest';
import { parseDaemonArgs } from './daemon.js';
import { AgentTls, HubTlsError } from './tls.js';

const base = ['--hub', 'hub.example.com:9443', '--cluster', 'alpha'];
const pin = `sha256:${'ab'.repeat(32)}`;

describe('flotilla-agent run: TLS flags', () => {
  it('uses TLS by default, trusting the system roots', () => {
    expect(parseDaemonArgs(base, {}).tls).toEqual({});
  });

  it('takes the hub CA from a file or a pin, flags before environment', () => {
    expect(parseDaemonArgs([...base, '--hub-ca', '/etc/flotilla/ca.crt'], { FLOTILLA_HUB_CA_HASH: pin }).tls).toEqual({
      caFile: '/etc/flotilla/ca.crt',
      caPin: pin,
    });
    const env = { FLOTILLA_TLS_SERVER_NAME: 'hub.internal', FLOTILLA_TLS_CERT: 'c.pem', FLOTILLA_TLS_KEY: 'k.pem' };
    expect(parseDaemonArgs(base, env).tls).toEqual({ serverName: 'hub.internal', certFile: 'c.pem', keyFile: 'k.pem' });
  });

  it('goes plaintext only with --insecure, and then with no TLS flag beside it', () => {
    expect(parseDaemonArgs([...base, '--insecure'], {}).tls).toBeUndefined();
    expect(parseDaemonArgs(base, { FLOTILLA_INSECURE: 'true' }).tls).toBeUndefined();
    expect(() => parseDaemonArgs([...base, '--insecure', '--hub-ca-hash', pin], {})).toThrow(
      '--insecure turns TLS off; drop it or drop --hub-ca-hash',
    );
  });

  it.each([
    [['--hub-ca-hash', 'abc'], '--hub-ca-hash "abc" is not sha256:<64 hex digits>'],
    [['--tls-cert', 'c.pem'], '--tls-cert and --tls-key go together'],
  ])('refuses %j', (flags, message) => {
    expect(() => parseDaemonArgs([...base, ...flags], {})).toThrow(message);
  });

  it('refuses a malformed pin when built directly, with a typed error', () => {
    const make = () =>
      new AgentTls({ address: 'h:1', caPin: 'md5:1', discoveredCaFile: 'x', certFile: 'c', keyFile: 'k' });
    expect(make).toThrow(HubTlsError);
  });
});
