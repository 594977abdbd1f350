import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config.js';

describe('hub TLS configuration', () => {
  it('defaults to the auto CA, without mutual TLS', () => {
    expect(parseConfig({}, ['serve']).tls).toEqual({ mode: 'auto', sans: [], mtls: false });
  });

  it('takes names from --tls-san (repeated or comma-separated) and FLOTILLA_TLS_SAN', () => {
    const cfg = parseConfig({ FLOTILLA_TLS_SAN: 'hub.example.com,10.0.0.7' }, [
      '--tls-san',
      'flotilla-hub.flotilla-system.svc',
      '--tls-san',
      'fd00::7, *.hub.example.com',
      '--mtls',
    ]);
    expect(cfg.tls).toEqual({
      mode: 'auto',
      mtls: true,
      sans: ['flotilla-hub.flotilla-system.svc', 'fd00::7', '*.hub.example.com', 'hub.example.com', '10.0.0.7'],
    });
  });

  it("uses the operator's certificate and client CA, files resolved", () => {
    const cfg = parseConfig({ FLOTILLA_TLS_CLIENT_CA: 'ca.pem' }, ['--tls-cert', 'c.pem', '--tls-key', 'k.pem']);
    expect(cfg.tls).toEqual({
      mode: 'files',
      sans: [],
      mtls: true,
      certFile: resolve('c.pem'),
      keyFile: resolve('k.pem'),
      clientCaFile: resolve('ca.pem'),
    });
  });

  it('turns TLS off only with an explicit --insecure (or FLOTILLA_INSECURE=true)', () => {
    expect(parseConfig({}, ['--insecure']).tls).toEqual({ mode: 'insecure', sans: [], mtls: false });
    expect(parseConfig({ FLOTILLA_INSECURE: 'true' }, []).tls.mode).toBe('insecure');
    expect(parseConfig({ FLOTILLA_INSECURE: 'false' }, []).tls.mode).toBe('auto');
  });

  it.each([
    [{}, ['--insecure', '--mtls'], '--insecure turns TLS off; drop --mtls or drop --insecure'],
    [{}, ['--insecure', '--tls-cert', 'c', '--tls-key', 'k'], 'drop --tls-cert or drop --insecure'],
    [{}, ['--tls', 'off'], '--tls off: plaintext takes --insecure'],
    [{}, ['--tls', 'manual'], '--tls / FLOTILLA_TLS: "manual" is not auto or files'],
    [{}, ['--tls-cert', 'c'], '--tls-cert and --tls-key go together'],
    [{}, ['--tls', 'files'], '--tls files needs --tls-cert and --tls-key'],
    [{}, ['--tls', 'auto', '--tls-cert', 'c', '--tls-key', 'k'], '--tls auto issues its own certificate'],
    [{}, ['--tls-san', 'bad name'], '--tls-san / FLOTILLA_TLS_SAN: "bad name" is neither a DNS name nor an IP address'],
    [{ FLOTILLA_MTLS: 'maybe' }, [], 'FLOTILLA_MTLS: "maybe" is not true or false'],
  ])('refuses %j %j, naming the setting', (env, argv, message) => {
    expect(() => parseConfig(env, argv)).toThrow(ConfigError);
    expect(() => parseConfig(env, argv)).toThrow(message);
  });
});
