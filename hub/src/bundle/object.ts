import type { KubeObject as CommonKubeObject, ObjectMeta } from '@flotilla/common';

/** Where an object came from, so every error a user sees can name `file:line`. */
export interface SourceLocation {
  /** Path relative to the repository root, with `/` separators. */
  readonly file: string;
  /** 1-based line where the object's document (or list item) starts. */
  readonly line?: number;
}

/** A parsed manifest document: any JSON object, not yet checked to be a Kubernetes object. */
export type JsonObject = Record<string, unknown>;

/** One object as read from Git, with its origin. */
export interface ManifestObject {
  readonly object: JsonObject;
  readonly source?: SourceLocation;
}

/** The metadata of a validated object: it always has a name. */
export interface ObjectMetadata extends ObjectMeta {
  name: string;
}

/** A validated Kubernetes object: the minimum the agent needs to apply it. */
export type KubeObject = CommonKubeObject<ObjectMetadata>;

/** The identity of an object in a cluster. The API version is not part of it: `apps/v1` and
 * `apps/v1beta1` Deployments named `web` are the same object. */
export interface ObjectKey {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function objectKey(object: KubeObject): ObjectKey {
  return {
    group: groupOf(object.apiVersion),
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

/** `apps/Deployment default/web`, `Namespace team-a`: how errors and logs name an object. */
export function formatKey(key: ObjectKey): string {
  const kind = key.group === '' ? key.kind : `${key.group}/${key.kind}`;
  return key.namespace === '' ? `${kind} ${key.name}` : `${kind} ${key.namespace}/${key.name}`;
}

export function formatSource(source: SourceLocation | undefined): string {
  if (source === undefined) return '<unknown source>';
  return source.line === undefined ? source.file : `${source.file}:${source.line}`;
}

/** Orders by UTF-16 code units, the order of JavaScript's `<` and of RFC 8785; never locale-dependent. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareKeys(a: ObjectKey, b: ObjectKey): number {
  return (
    compareStrings(a.group, b.group) ||
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.name, b.name)
  );
}
