import { isPlainObject } from '@flotilla/common';
import { BundleInvalidObjectError } from './errors.js';
import { formatSource, type JsonObject, type KubeObject, type SourceLocation } from './object.js';

const API_VERSION = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9][a-z0-9]*$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
// DNS subdomain (RFC 1123), plus `:` because RBAC names such as `system:aggregate-to-view` use it.
const NAME = /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/;
const NAME_MAX = 253;
// Namespaces are DNS labels.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE_MAX = 63;

function fail(source: SourceLocation | undefined, what: string): never {
  throw new BundleInvalidObjectError(`${formatSource(source)}: ${what}`);
}

function checkStringMap(metadata: JsonObject, field: 'labels' | 'annotations', source?: SourceLocation): void {
  const map = metadata[field];
  if (map === undefined) return;
  if (!isPlainObject(map)) fail(source, `metadata.${field} must be a map of strings`);
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') {
      fail(source, `metadata.${field}.${key} must be a string, got ${JSON.stringify(value)}; quote it in YAML`);
    }
  }
}

function checkMetadata(metadata: unknown, source?: SourceLocation): void {
  if (!isPlainObject(metadata)) fail(source, 'metadata must be a map with a name');
  const { name, namespace } = metadata;
  if (typeof name !== 'string' || name === '') fail(source, 'metadata.name is required and must be a string');
  if (name.length > NAME_MAX) fail(source, `metadata.name is longer than ${NAME_MAX} characters`);
  if (!NAME.test(name)) {
    fail(source, `metadata.name "${name}" is not a valid name (lowercase letters, digits, "-", "." and ":")`);
  }
  if (namespace !== undefined) {
    if (typeof namespace !== 'string' || namespace.length > NAMESPACE_MAX || !NAMESPACE.test(namespace)) {
      fail(source, `metadata.namespace ${JSON.stringify(namespace)} is not a valid namespace name`);
    }
  }
  checkStringMap(metadata, 'labels', source);
  checkStringMap(metadata, 'annotations', source);
}

/** Checks that `object` is something the agent can apply, and returns it typed. Run it on the
 * normalized object (nulls dropped), so `namespace: null` counts as absent. */
export function validateObject(object: JsonObject, source?: SourceLocation): KubeObject {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || !API_VERSION.test(apiVersion)) {
    fail(source, `apiVersion ${JSON.stringify(apiVersion ?? null)} is missing or malformed (e.g. "v1", "apps/v1")`);
  }
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    fail(source, `kind ${JSON.stringify(kind ?? null)} is missing or malformed (e.g. "Deployment")`);
  }
  checkMetadata(object.metadata, source);
  return object as KubeObject;
}
