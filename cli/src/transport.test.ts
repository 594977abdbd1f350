import { describe, expect, it } from 'vitest';
import { HubTrustError, PlaintextRefusedError } from './errors.js';
import { caFromPem, checkTransport, isLoopbackUrl, trustProblem } from './transport.js';

describe('checkTransport', () => {
  it.each([
    ['https://hub.example.com', false, true],
    ['http://127.0.0.1:8080', false, true],
    ['http://127.8.0.1:8080', false, true],
    ['http://localhost:8080', false, true],
    ['http://[::1]:8080', false, true],
    ['http://hub.example.com:8080', false, false],
    ['http://10.0.0.5:8080', false, false],
    ['http://hub.example.com:8080', true, true],
  ])('%s (insecure-http %s): allowed %s', (hubUrl, insecureHttp, allowed) => {
    const run = () => checkTransport({ hubUrl, insecureHttp });
    if (allowed) expect(run).not.toThrow();
    else {
      expect(run).toThrow(PlaintextRefusedError);
      expect(run).toThrow(/refusing to send an API token over plain HTTP/);
    }
  });

  it('knows loopback', () => {
    expect(isLoopbackUrl('http://127.0.0.1')).toBe(true);
    expect(isLoopbackUrl('http://128.0.0.1')).toBe(false);
  });
});

describe('trustProblem', () => {
  it('says what to do for an untrusted, misnamed or expired certificate; nothing for other errors', () => {
    const untrusted = trustProblem(
      'https://hub:8080',
      'SELF_SIGNED_CERT_IN_CHAIN self-signed certificate in certificate chain',
    );
    expect(untrusted).toBeInstanceOf(HubTrustError);
    expect(untrusted?.hint).toMatch(/--ca-file .* --ca-hash/);
    expect(trustProblem('https://hub:8080', 'ERR_TLS_CERT_ALTNAME_INVALID')?.message).toMatch(/does not name hub/);
    expect(trustProblem('https://hub:8080', 'CERT_HAS_EXPIRED')?.message).toMatch(/validity period/);
    expect(trustProblem('https://hub:8080', 'ECONNREFUSED')).toBeUndefined();
  });
});

describe('caFromPem', () => {
  it('refuses what is not a certificate, naming the file', () => {
    expect(() => caFromPem('not a pem', 'ca.crt')).toThrow(/--ca-file ca\.crt is not a PEM certificate/);
  });
});
