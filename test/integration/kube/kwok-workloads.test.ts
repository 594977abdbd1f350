import { randomBytes } from 'node:crypto';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { UNREADY_POD_LABEL } from '../../harness/kube/kwok-stages.js';

const alpha = clusterByName(inject('kubeClusters'), 'alpha');
const ns = `kwok-${randomBytes(3).toString('hex')}`;

describe('workloads progress on a simulated cluster (controller-manager, scheduler, kwok)', () => {
  const kc = kubeClient(alpha);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('brings a Deployment to Available=True with its pods Running on the fake node', async () => {
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    };
    await KubernetesObjectApi.makeApiClient(kc).patch(
      deployment,
      undefined,
      undefined,
      'flotilla',
      true,
      PatchStrategy.ServerSideApply,
    );

    await expect
      .poll(
        async () => {
          const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
          const available = d.status?.conditions?.find((c) => c.type === 'Available')?.status;
          return { available, ready: d.status?.readyReplicas };
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual({ available: 'True', ready: 2 });

    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const p of pods.items) {
      expect(p.spec?.nodeName).toBe('kwok-node-0');
      expect(p.status?.phase).toBe('Running');
    }
  });

  it('keeps pods labelled unready Running with Ready=False: their ReplicaSet stays short of ready replicas', async () => {
    const labels = { app: 'short', [UNREADY_POD_LABEL]: 'true' };
    await apps.createNamespacedReplicaSet({
      namespace: ns,
      body: {
        metadata: { name: 'short' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'short' } },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
        },
      },
    });
    await expect
      .poll(
        async () => {
          const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=short' });
          return pods.items.map((p) => p.status?.phase);
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual(['Running', 'Running']);
    const rs = await apps.readNamespacedReplicaSet({ name: 'short', namespace: ns });
    expect(rs.status?.replicas).toBe(2);
    expect(rs.status?.readyReplicas ?? 0).toBe(0);
    expect(rs.status?.availableReplicas ?? 0).toBe(0);
  });

  it('marks a Job created suspended with Suspended=True and starts no pod', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'later' },
        spec: {
          suspend: true,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } },
        },
      },
    });
    await expect
      .poll(
        async () => {
          const job = await batch.readNamespacedJob({ name: 'later', namespace: ns });
          return job.status?.conditions?.find((c) => c.type === 'Suspended')?.status;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('True');
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=later' });
    expect(pods.items).toHaveLength(0);
  });

  it('gives a new namespace its default ServiceAccount (controller-manager runs)', async () => {
    await expect
      .poll(
        async () => (await core.listNamespacedServiceAccount({ namespace: ns })).items.map((s) => s.metadata?.name),
        {
          timeout: 30_000,
        },
      )
      .toContain('default');
  });
});
