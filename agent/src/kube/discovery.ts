import { KubeApiError, UnknownKindError } from '../errors.js';
import { groupOf, versionOf } from '../objects.js';
import type { Transport } from './transport.js';

/** Where an apiVersion and kind are served, and whether their objects live in namespaces. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, as in the URL path. */
  resource: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** Cached discovery, one request per group/version, deduplicated while in flight. */
export class Discovery {
  private readonly groupVersions = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  constructor(private readonly transport: Transport) {}

  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const found = (await this.groupVersion(apiVersion))?.get(kind);
    if (!found) throw new UnknownKindError(apiVersion, kind);
    return found;
  }

  /** Forget what is known about one group/version (after its CRD changed), or everything. */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.groupVersions.clear();
    else this.groupVersions.delete(apiVersion);
  }

  private groupVersion(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    let entry = this.groupVersions.get(apiVersion);
    if (!entry) {
      entry = this.fetch(apiVersion);
      // A failed or empty lookup is not cached: the CRD may be established a moment later.
      entry.then(
        (m) => m === undefined && this.groupVersions.delete(apiVersion),
        () => this.groupVersions.delete(apiVersion),
      );
      this.groupVersions.set(apiVersion, entry);
    }
    return entry;
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const group = groupOf(apiVersion);
    const version = versionOf(apiVersion);
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    let list: ApiResourceList;
    try {
      list = await this.transport.request<ApiResourceList>({ method: 'GET', path, what: `discover ${apiVersion}` });
    } catch (err) {
      if (err instanceof KubeApiError && err.status.code === 404) return undefined;
      throw err;
    }
    const byKind = new Map<string, ResourceInfo>();
    for (const r of list.resources ?? []) {
      if (r.name.includes('/') || byKind.has(r.kind)) continue;
      byKind.set(r.kind, { group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced });
    }
    return byKind;
  }
}

/** The URL path of a collection, or of one object when `name` is given. */
export function resourcePath(info: ResourceInfo, namespace: string, name?: string): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}
