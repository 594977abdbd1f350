import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../bundle/object.js';
import { checkPlaintextSecrets, plaintextSecrets } from './secrets-policy.js';

const secret = (name: string, body: Record<string, unknown>, apiVersion = 'v1'): KubeObject => ({
  apiVersion,
  kind: 'Secret',
  metadata: { name, namespace: 'app' },
  ...body,
});

describe('plaintext Secrets in Git', () => {
  it('finds v1 Secrets with data or stringData, and only those', () => {
    expect(
      plaintextSecrets([
        secret('db', { data: { password: 'aHVudGVyMg==' } }),
        secret('api', { stringData: { token: 'x' } }),
        secret('empty', { data: {} }),
        secret('tls-ref', { type: 'kubernetes.io/tls' }),
        secret('other-group', { data: { a: 'b' } }, 'bitnami.com/v1alpha1'),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db' }, data: { a: 'b' } },
      ]),
    ).toEqual(['app/db', 'app/api']);
  });

  it('warns by default, refuses under refuse, is silent under allow', () => {
    const objs = [secret('db', { data: { password: 'eA==' } })];
    expect(checkPlaintextSecrets(objs, 'warn', 'target web (environment prod)')).toMatch(
      /^target web \(environment prod\): Secret app\/db holds values in plain text in Git; keep secret values out of Git: use Sealed Secrets/,
    );
    expect(() => checkPlaintextSecrets(objs, 'refuse', 'target web')).toThrow(/refused by policy/);
    expect(checkPlaintextSecrets(objs, 'allow', 'target web')).toBeUndefined();
    expect(checkPlaintextSecrets([], 'refuse', 'target web')).toBeUndefined();
  });
});
