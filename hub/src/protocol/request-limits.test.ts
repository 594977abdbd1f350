import { loadFlotillaProto, pki } from '@flotilla/proto/runtime';
import { describe, expect, it } from 'vitest';
import { checkRegisterSize, MAX_REQUEST_BYTES, maxRequestBytes, REGISTER_MAX_BYTES } from './request-limits.js';

const v1 = loadFlotillaProto().flotilla.v1;
const encodeRegister = v1.Registration.service.Register.requestSerialize as (r: object) => Buffer;

describe('request limits', () => {
  it('has a limit for every method the hub serves, and none for another', () => {
    const paths = [v1.Registration.service, v1.AgentService.service].flatMap((s) =>
      Object.values(s).map((m) => m.path),
    );
    expect(Object.keys(MAX_REQUEST_BYTES).sort()).toEqual([...paths].sort());
    expect(() => maxRequestBytes('/flotilla.v1.AgentService/Nope')).toThrow(
      'gRPC method /flotilla.v1.AgentService/Nope has no request size limit in request-limits.ts',
    );
  });

  it('fits the largest legitimate Register request several times over', () => {
    const name = 'c'.repeat(253);
    const largest = {
      token: `flreg_${'t'.repeat(43)}`,
      clusterName: name,
      agentVersion: 'v'.repeat(64),
      kubernetesVersion: 'v'.repeat(64),
      clientCsrPem: pki.createCsr(pki.generateKeyPair().privateKey, name),
      retryKey: 'r'.repeat(43),
    };
    const bytes = encodeRegister(largest).length;
    expect(bytes).toBeLessThan(1536);
    // With a dozen labels of Kubernetes' largest size (a 253-character prefix, a 63-character name and value).
    const labels = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [
        `${'p'.repeat(251)}${i.toString().padStart(2, '0')}/${'n'.repeat(63)}`,
        'v'.repeat(63),
      ]),
    );
    expect(encodeRegister({ ...largest, labels }).length).toBeLessThanOrEqual(REGISTER_MAX_BYTES);
  });

  it('refuses a NATS registration request over the limit, naming both sizes', () => {
    expect(() => checkRegisterSize(REGISTER_MAX_BYTES)).not.toThrow();
    expect(() => checkRegisterSize(REGISTER_MAX_BYTES + 1)).toThrow(
      expect.objectContaining({
        code: 'REQUEST_TOO_LARGE',
        message: expect.stringMatching(/^a registration request of 8193 bytes is larger than the limit of 8192/),
      }),
    );
  });
});
