/**
 * A map as JSON and YAML produce them: an object literal (or one with no prototype), not an array,
 * null, a Date, a Map or any other class instance.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** JSON with the keys of every map sorted (by UTF-16 code units), so equal values serialize equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (!isPlainObject(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = item[key];
    return sorted;
  });
}

/** A Kubernetes object's metadata: the fields Flotilla reads are typed, the rest kept as they are. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  deletionTimestamp?: string;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update' | string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldsV1;
  subresource?: string;
}

/** The managedFields trie: keys are `f:<field>`, `k:<json key>`, `v:<json value>`, `i:<index>` or `.`. */
export type FieldsV1 = { [segment: string]: FieldsV1 };

/**
 * A Kubernetes object as JSON: only the fields every object has are typed. `Meta` narrows the
 * metadata where more is known (the hub's validated objects always have a name).
 */
export interface KubeObject<Meta extends ObjectMeta = ObjectMeta> {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  [field: string]: unknown;
}
