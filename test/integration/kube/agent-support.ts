import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import {
  defaultOptions,
  InventoryStore,
  KubeClient,
  type reconcile,
  type Bundle,
  type BundleOptions,
  type KubeObject,
} from '@flotilla/agent';
import { clusterByName } from '../../harness/kube/client.js';
import type { KubeClusterInfo } from '../../harness/kube/fleet.js';

/** Shared by the agent's kube suites: fresh names, object builders, and a "kubectl" for imperative edits. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export function agentClient(cluster: KubeClusterInfo): KubeClient {
  return KubeClient.fromKubeconfig(cluster.kubeconfig, undefined, {
    retry: { retryForMs: 20_000, baseDelayMs: 100, maxDelayMs: 1000 },
  });
}

/** A separate client playing a person or controller: its writes never count against the agent's. */
export class Kubectl {
  readonly client: KubeClient;
  constructor(cluster: KubeClusterInfo) {
    this.client = KubeClient.fromKubeconfig(cluster.kubeconfig);
  }

  patch(
    path: string,
    manager: string,
    body: unknown,
    contentType = 'application/merge-patch+json',
  ): Promise<KubeObject> {
    const sep = path.includes('?') ? '&' : '?';
    return this.client.transport.request<KubeObject>({
      method: 'PATCH',
      path: `${path}${sep}fieldManager=${manager}`,
      body: JSON.stringify(body),
      contentType,
      what: `patch ${path}`,
    });
  }

  /**
   * What `kubectl create cm ... --dry-run=client -o yaml | kubectl replace -f -` sends: a PUT of the
   * whole object as written, without the labels and managedFields it did not write (kubectl adds the
   * resourceVersion it has just read: the unconditional PUT here is the same write).
   */
  replace(path: string, obj: KubeObject, manager = 'kubectl-replace'): Promise<KubeObject> {
    return this.client.transport.request<KubeObject>({
      method: 'PUT',
      path: `${path}?fieldManager=${manager}`,
      body: JSON.stringify(obj),
      contentType: 'application/json',
      what: `replace ${path}`,
    });
  }

  scale(ns: string, name: string, replicas: number, manager = 'kubectl-scale'): Promise<KubeObject> {
    return this.patch(`/apis/apps/v1/namespaces/${ns}/deployments/${name}/scale`, manager, { spec: { replicas } });
  }

  get(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.client.get({ apiVersion, kind, namespace, name });
  }

  async deleteNamespaces(...names: string[]): Promise<void> {
    for (const name of names)
      await this.client.delete({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name }).catch(() => undefined);
  }

  close(): void {
    this.client.close();
  }
}

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function configMap(
  ns: string,
  name: string,
  data: Record<string, string>,
  annotations?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    data,
  };
}

export function deployment(
  ns: string,
  name: string,
  o: { replicas?: number; image?: string; podLabels?: Record<string, string> } = {},
): KubeObject {
  const labels = { app: name, ...o.podLabels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: o.image ?? 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

export function bundle(deployment: string, objects: KubeObject[], options: Partial<BundleOptions> = {}): Bundle {
  return { deployment, objects, options: { ...defaultOptions(), ...options } };
}

export function inventories(client: KubeClient): InventoryStore {
  return new InventoryStore(client);
}

/**
 * The shared set-up of the agent suites on cluster alpha: a client, its inventories, a kubectl-like
 * helper, fresh namespaces (and cluster-scoped objects) removed after the file's tests.
 */
export function useClusterAlpha() {
  const alpha = clusterByName(inject('kubeClusters'), 'alpha');
  const client = agentClient(alpha);
  const store = inventories(client);
  const kubectl = new Kubectl(alpha);
  const namespaces: string[] = [];
  const clusterScoped: { apiVersion: string; kind: string; name: string }[] = [];
  afterAll(async () => {
    await kubectl.deleteNamespaces(...namespaces);
    for (const o of clusterScoped) await kubectl.client.delete({ ...o, namespace: '' }).catch(() => undefined);
    client.close();
    kubectl.close();
  });
  const fresh = (prefix: string): string => {
    const ns = unique(prefix);
    namespaces.push(ns);
    return ns;
  };
  const changes = (r: Awaited<ReturnType<typeof reconcile>>) =>
    Object.fromEntries(r.results.map((x) => [`${x.ref.kind}/${x.ref.name}`, x.change]));
  return { alpha, client, store, kubectl, fresh, clusterScoped, changes };
}
