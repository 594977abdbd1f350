import { describe, expect, it } from 'vitest';
import { canonicalize, sha256Hex } from './canonical.js';
import { BundleDuplicateObjectError, BundleInvalidObjectError } from './errors.js';
import type { JsonObject, ManifestObject } from './object.js';

const at = (object: JsonObject, file = 'x.yaml', line = 1): ManifestObject => ({ object, source: { file, line } });

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [80] }] } } },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { ports: [] },
};
const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:x' } };

/** The same object with its keys inserted in reverse order, at every depth. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

describe('canonicalize', () => {
  const base = canonicalize([deployment, service, namespace, role].map((o) => at(o)));

  it('writes one sorted-key JSON object per line, ordered by group, kind, namespace, name', () => {
    const lines = base.bytes.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line).kind)).toEqual(['Namespace', 'Service', 'Deployment', 'ClusterRole']);
    expect(lines[0]).toBe('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}');
    expect(base.digest).toBe(sha256Hex(base.bytes));
    expect(base.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(base.objects.map((o) => o.kind)).toEqual(['Namespace', 'Service', 'Deployment', 'ClusterRole']);
  });

  it.each([
    ['reversed input order', [role, namespace, service, deployment]],
    ['reversed key order', [deployment, service, namespace, role].map(reversed)],
    ['null-valued keys', [{ ...deployment, status: null }, service, namespace, role]],
    [
      'empty labels and annotations',
      [deployment, service, { ...namespace, metadata: { name: 'shop', labels: {}, annotations: {} } }, role],
    ],
    [
      'labels emptied by nulls',
      [deployment, service, { ...namespace, metadata: { name: 'shop', labels: { a: null } } }, role],
    ],
    ['nested nulls', [deployment, { ...service, metadata: { ...service.metadata, uid: null } }, namespace, role]],
  ])('yields the same digest for %s', (_name, objects) => {
    expect(canonicalize((objects as JsonObject[]).map((o) => at(o))).digest).toBe(base.digest);
  });

  it.each([
    ['a changed number', { ...service, spec: { ports: [], x: 1 } }, { ...service, spec: { ports: [], x: 2 } }],
    ['a number turned string', { ...service, spec: { ports: [], x: 1 } }, { ...service, spec: { ports: [], x: '1' } }],
    ['array order', { ...service, spec: { ports: [1, 2] } }, { ...service, spec: { ports: [2, 1] } }],
    ['a null array element', { ...service, spec: { ports: [1] } }, { ...service, spec: { ports: [1, null] } }],
    ['an empty map outside metadata', { ...service, spec: { ports: [] } }, { ...service, spec: { ports: [], x: {} } }],
    ['the API version', namespace, { ...namespace, apiVersion: 'v2' }],
  ])('yields a different digest for %s', (_name, a, b) => {
    expect(canonicalize([at(a)]).digest).not.toBe(canonicalize([at(b)]).digest);
  });

  it('sorts keys by code unit, integer-like keys included, and keeps strings and numbers as given', () => {
    const object = { ...namespace, data: { b: '1', '10': 1.5, '9': 10, a: 'ü' } };
    const line = canonicalize([at(object)]).bytes.toString('utf8');
    expect(line).toContain('"data":{"10":1.5,"9":10,"a":"ü","b":"1"}');
  });

  it('hashes the empty bundle as zero bytes', () => {
    expect(canonicalize([]).digest).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('does not modify its input', () => {
    const input = { ...namespace, metadata: { name: 'shop', labels: {} }, status: null };
    const copy = structuredClone(input);
    canonicalize([at(input)]);
    expect(input).toEqual(copy);
  });

  it('rejects duplicates, naming both sources, regardless of API version', () => {
    const other = { ...deployment, apiVersion: 'apps/v1beta2' };
    const run = () => canonicalize([at(deployment, 'a.yaml', 3), at(service), at(other, 'b/c.yaml', 12)]);
    expect(run).toThrow(BundleDuplicateObjectError);
    expect(run).toThrow('apps/Deployment shop/web is defined twice: at a.yaml:3 and at b/c.yaml:12');
  });

  it('treats the same name in different namespaces or kinds as different objects', () => {
    const other = { ...service, metadata: { name: 'web', namespace: 'other' } };
    expect(canonicalize([at(service), at(other), at({ ...service, kind: 'Endpoints' })]).objects).toHaveLength(3);
  });

  it.each([
    ['NaN', { spec: { x: Number.NaN } }, 'spec.x holds NaN'],
    ['a Date', { spec: { at: new Date(0) } }, 'spec.at holds a Date'],
    ['a bigint', { spec: { list: [1n] } }, 'spec.list[0] holds a bigint'],
  ])('rejects %s with the file, line and path', (_name, extra, message) => {
    const run = () => canonicalize([at({ ...namespace, ...extra }, 'ns.yaml', 7)]);
    expect(run).toThrow(BundleInvalidObjectError);
    expect(run).toThrow(`ns.yaml:7: ${message}`);
  });
});
