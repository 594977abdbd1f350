import { KubeApiError } from '../errors.js';
import { formatRef, refOf, type KubeObject, type ObjectRef } from '../objects.js';
import { loadKubeconfig, type ClusterAccess } from './config.js';
import { Discovery, resourcePath, type ResourceInfo } from './discovery.js';
import { Transport, type CallStats, type TransportOptions } from './transport.js';

export const FIELD_MANAGER = 'flotilla';
const APPLY_PATCH = 'application/apply-patch+yaml';
const PAGE_SIZE = 250;

export interface ApplyOptions {
  force?: boolean;
  /** Server-side dry run: validated and defaulted, never stored. */
  dryRun?: boolean;
}

export interface ApplyResult {
  object: KubeObject;
  created: boolean;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

/** The thin Kubernetes client the agent uses: discovery, get, list, server-side apply, delete, watch. */
export class KubeClient {
  readonly discovery: Discovery;

  constructor(
    readonly transport: Transport,
    readonly fieldManager = FIELD_MANAGER,
  ) {
    this.discovery = new Discovery(transport);
  }

  static fromAccess(access: ClusterAccess, opts: TransportOptions = {}): KubeClient {
    return new KubeClient(new Transport(access, opts));
  }

  static fromKubeconfig(file: string, context?: string, opts: TransportOptions = {}): KubeClient {
    return KubeClient.fromAccess(loadKubeconfig(file, context), opts);
  }

  get stats(): CallStats {
    return this.transport.stats;
  }

  resolve(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): Promise<ResourceInfo> {
    return this.discovery.resolve(ref.apiVersion, ref.kind);
  }

  /** The live object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const info = await this.resolve(ref);
    try {
      return await this.transport.request<KubeObject>({
        method: 'GET',
        path: resourcePath(info, ref.namespace, ref.name),
        what: `get ${formatRef(ref)}`,
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.status.code === 404) return undefined;
      throw err;
    }
  }

  /** All objects of a resource in a namespace ('' for all or cluster-scoped), page by page. */
  async list(info: ResourceInfo, namespace: string, labelSelector?: string): Promise<ListResult> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    do {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (labelSelector) q.set('labelSelector', labelSelector);
      if (cont) q.set('continue', cont);
      const body = await this.transport.request<ListBody>({
        method: 'GET',
        path: `${resourcePath(info, namespace)}?${q}`,
        what: `list ${info.resource}${namespace ? ` in ${namespace}` : ''}`,
      });
      for (const item of body.items ?? []) items.push({ ...item, apiVersion, kind: info.kind });
      cont = body.metadata?.continue || undefined;
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  /** Server-side apply with this client's field manager. */
  async apply(obj: KubeObject, o: ApplyOptions = {}): Promise<ApplyResult> {
    const ref = refOf(obj);
    const info = await this.resolve(ref);
    const q = new URLSearchParams({ fieldManager: this.fieldManager });
    if (o.force) q.set('force', 'true');
    if (o.dryRun) q.set('dryRun', 'All');
    const res = await this.transport.exchange<KubeObject>({
      method: 'PATCH',
      path: `${resourcePath(info, ref.namespace, ref.name)}?${q}`,
      body: JSON.stringify(obj),
      contentType: APPLY_PATCH,
      what: `apply ${formatRef(ref)}`,
    });
    return { object: res.body, created: res.status === 201 };
  }

  /** Deletes with background propagation; 'gone' when it did not exist. */
  async delete(ref: ObjectRef): Promise<'deleted' | 'gone'> {
    const info = await this.resolve(ref);
    try {
      await this.transport.request({
        method: 'DELETE',
        path: `${resourcePath(info, ref.namespace, ref.name)}?propagationPolicy=Background`,
        what: `delete ${formatRef(ref)}`,
      });
      return 'deleted';
    } catch (err) {
      if (err instanceof KubeApiError && err.status.code === 404) return 'gone';
      throw err;
    }
  }

  /**
   * One watch request from `resourceVersion`; resolves when the server closes it (a caller loops).
   * A 410 Gone means the version is too old: list again.
   */
  async watch(
    info: ResourceInfo,
    namespace: string,
    o: { labelSelector?: string; resourceVersion: string; timeoutSeconds?: number },
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const q = new URLSearchParams({
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: o.resourceVersion,
      timeoutSeconds: String(o.timeoutSeconds ?? 300),
    });
    if (o.labelSelector) q.set('labelSelector', o.labelSelector);
    const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    await this.transport.stream(
      `${resourcePath(info, namespace)}?${q}`,
      `watch ${info.resource}`,
      (line) => {
        const e = JSON.parse(line) as WatchEvent;
        if (e.type !== 'ERROR' && e.type !== 'BOOKMARK') e.object = { ...e.object, apiVersion, kind: info.kind };
        onEvent(e);
      },
      signal,
    );
  }

  close(): void {
    this.transport.close();
  }
}
