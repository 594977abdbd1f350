import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';

const clusters = inject('kubeClusters');
const alpha = clusterByName(clusters, 'alpha');
const beta = clusterByName(clusters, 'beta');
const ns = `ssa-${randomBytes(3).toString('hex')}`;

function configMap(data: Record<string, string>): KubernetesObject & { data: Record<string, string> } {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: ns }, data };
}

describe('two separate simulated clusters', () => {
  const objects = (c: typeof alpha) => KubernetesObjectApi.makeApiClient(kubeClient(c));
  const core = (c: typeof alpha) => kubeClient(c).makeApiClient(CoreV1Api);
  const apply = (c: typeof alpha, obj: KubernetesObject) =>
    objects(c).patch(obj, undefined, undefined, 'flotilla', true, PatchStrategy.ServerSideApply);

  beforeAll(async () => {
    for (const c of [alpha, beta]) await core(c).createNamespace({ body: { metadata: { name: ns } } });
  });

  afterAll(async () => {
    for (const c of [alpha, beta])
      await core(c)
        .deleteNamespace({ name: ns })
        .catch(() => undefined);
  });

  it('runs distinct apiservers that both serve the fake node', async () => {
    expect(alpha.server).not.toBe(beta.server);
    for (const c of [alpha, beta]) {
      const nodes = await core(c).listNode();
      expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['kwok-node-0']);
    }
  });

  it('server-side applies on one cluster and watches it, while the other never sees it', async () => {
    const events: { type: string; value?: string }[] = [];
    const watch = new Watch(kubeClient(alpha));
    const abort = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      {},
      (type, obj: { data?: Record<string, string> }) => events.push({ type, value: obj.data?.color }),
      () => undefined,
    );
    try {
      const created = await apply(alpha, configMap({ color: 'blue' }));
      expect(created.metadata?.managedFields?.map((f) => f.manager)).toContain('flotilla');
      await expect.poll(() => events, { timeout: 10_000 }).toContainEqual({ type: 'ADDED', value: 'blue' });

      await apply(alpha, configMap({ color: 'green' }));
      await expect.poll(() => events, { timeout: 10_000 }).toContainEqual({ type: 'MODIFIED', value: 'green' });

      // Re-applying the same content is a no-op for the apiserver: no new event, same resourceVersion.
      const before = (await core(alpha).readNamespacedConfigMap({ name: 'web-config', namespace: ns })).metadata
        ?.resourceVersion;
      const again = await apply(alpha, configMap({ color: 'green' }));
      expect(again.metadata?.resourceVersion).toBe(before);
    } finally {
      abort.abort();
    }

    await expect(core(beta).readNamespacedConfigMap({ name: 'web-config', namespace: ns })).rejects.toMatchObject({
      code: 404,
    });
    const onBeta = await core(beta).listNamespacedConfigMap({ namespace: ns });
    expect(onBeta.items.map((c) => c.metadata?.name)).not.toContain('web-config');
  });

  it('reports a field conflict with another manager unless forced', async () => {
    await apply(alpha, configMap({ color: 'red' }));
    const other = objects(alpha).patch(
      configMap({ color: 'yellow' }),
      undefined,
      undefined,
      'kubectl-edit',
      false,
      PatchStrategy.ServerSideApply,
    );
    await expect(other).rejects.toMatchObject({ code: 409 });
  });
});
