import { KubeApiError } from '../errors.js';
import type { KubeClient, WatchEvent } from '../kube/client.js';
import type { ResourceInfo } from '../kube/discovery.js';
import type { KubeObject } from '../objects.js';
import { backoffDelay, DEFAULT_RETRY } from '../kube/retry.js';
import type { Sleep } from '../util/time.js';

export type ObjectEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

export interface WatcherHooks {
  onEvent(e: ObjectEvent): void;
  /** The watch lost its place (410 Gone, or after errors): events may have been missed. */
  onResync(info: ResourceInfo): void;
  onError?(err: unknown, info: ResourceInfo): void;
}

/** One cluster-wide watch per resource, on objects carrying a label; restarted from where it left off. */
export class ObjectWatcher {
  private readonly loops = new Map<string, AbortController>();

  constructor(
    private readonly client: KubeClient,
    private readonly labelSelector: string,
    private readonly hooks: WatcherHooks,
    private readonly sleep: Sleep,
  ) {}

  /**
   * Watches the resources not watched yet; resolves with how many it started, once each of those
   * has its starting point (changes from then on are seen).
   */
  async ensure(resources: readonly ResourceInfo[]): Promise<number> {
    const started: Promise<void>[] = [];
    for (const info of resources) {
      const key = `${info.group}/${info.version}/${info.resource}`;
      if (this.loops.has(key)) continue;
      const ctl = new AbortController();
      this.loops.set(key, ctl);
      started.push(new Promise((ready) => void this.loop(info, ctl.signal, ready)));
    }
    await Promise.all(started);
    return started.length;
  }

  get watching(): number {
    return this.loops.size;
  }

  stop(): void {
    for (const ctl of this.loops.values()) ctl.abort();
    this.loops.clear();
  }

  private async loop(info: ResourceInfo, signal: AbortSignal, ready: () => void): Promise<void> {
    let rv: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          rv = await this.currentVersion(info);
          ready();
          if (failures > 0) this.hooks.onResync(info);
        }
        await this.client.watch(
          info,
          '',
          { labelSelector: this.labelSelector, resourceVersion: rv },
          (e) => {
            rv = this.handle(e, info, rv);
          },
          signal,
        );
        failures = 0;
      } catch (err) {
        ready();
        if (signal.aborted) return;
        failures++;
        if (err instanceof KubeApiError && err.status.code === 410) rv = undefined;
        this.hooks.onError?.(err, info);
        await this.sleep(backoffDelay(failures, DEFAULT_RETRY, Math.random), signal);
      }
    }
  }

  /** The collection's current resourceVersion, from a one-item list. */
  private async currentVersion(info: ResourceInfo): Promise<string> {
    const path = `${info.group ? `/apis/${info.group}` : '/api'}/${info.version}/${info.resource}`;
    const q = new URLSearchParams({ limit: '1', labelSelector: this.labelSelector });
    const list = await this.client.transport.request<{ metadata?: { resourceVersion?: string } }>({
      method: 'GET',
      path: `${path}?${q}`,
      what: `list ${info.resource}`,
    });
    return list.metadata?.resourceVersion ?? '';
  }

  private handle(e: WatchEvent, info: ResourceInfo, rv: string | undefined): string | undefined {
    if (e.type === 'ERROR') {
      const code = (e.object as unknown as { code?: number }).code;
      if (code === 410) {
        this.hooks.onResync(info);
        return undefined;
      }
      return rv;
    }
    const next = e.object.metadata?.resourceVersion ?? rv;
    if (e.type !== 'BOOKMARK') this.hooks.onEvent({ type: e.type, object: e.object });
    return next;
  }
}
