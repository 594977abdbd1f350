import { describe, expect, it } from 'vitest';
import { BundleInvalidObjectError } from './errors.js';
import type { JsonObject } from './object.js';
import { validateObject } from './validate.js';

const source = { file: 'apps/web/deploy.yaml', line: 14 };
const ok = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } };

describe('validateObject', () => {
  it.each<[string, JsonObject]>([
    ['a namespaced object', ok],
    ['a core object', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a.b-c' } }],
    [
      'an RBAC name with colons',
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:view' } },
    ],
    ['a CRD version', { apiVersion: 'cert-manager.io/v1alpha2', kind: 'Certificate', metadata: { name: 'x' } }],
    ['string labels', { ...ok, metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } } }],
  ])('accepts %s', (_name, object) => {
    expect(validateObject(object, source)).toBe(object);
  });

  it.each<[string, JsonObject, string]>([
    ['no apiVersion', { kind: 'Deployment', metadata: { name: 'web' } }, 'apiVersion null is missing'],
    ['a malformed apiVersion', { ...ok, apiVersion: 'apps v1' }, 'apiVersion "apps v1" is missing or malformed'],
    ['no kind', { apiVersion: 'v1', metadata: { name: 'web' } }, 'kind null is missing'],
    ['no metadata', { apiVersion: 'v1', kind: 'Pod' }, 'metadata must be a map'],
    ['no name', { ...ok, metadata: { namespace: 'shop' } }, 'metadata.name is required'],
    ['a numeric name', { ...ok, metadata: { name: 42 } }, 'metadata.name is required and must be a string'],
    ['an uppercase name', { ...ok, metadata: { name: 'Web' } }, 'metadata.name "Web" is not a valid name'],
    ['a too long name', { ...ok, metadata: { name: 'a'.repeat(254) } }, 'metadata.name is longer than 253 characters'],
    [
      'a bad namespace',
      { ...ok, metadata: { name: 'web', namespace: 'a.b' } },
      'metadata.namespace "a.b" is not a valid',
    ],
    ['a numeric label', { ...ok, metadata: { name: 'web', labels: { v: 1.5 } } }, 'metadata.labels.v must be a string'],
    [
      'a list of annotations',
      { ...ok, metadata: { name: 'web', annotations: ['a'] } },
      'metadata.annotations must be a map',
    ],
  ])('rejects %s, naming file and line', (_name, object, message) => {
    const run = () => validateObject(object, source);
    expect(run).toThrow(BundleInvalidObjectError);
    expect(run).toThrow(`apps/web/deploy.yaml:14: ${message}`);
  });

  it('says so when the source is unknown', () => {
    expect(() => validateObject({})).toThrow('<unknown source>: apiVersion');
  });
});
