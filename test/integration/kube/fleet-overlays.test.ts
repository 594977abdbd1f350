import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { appFiles, e2eWorld, type E2eWorld } from './e2e-support.js';

// Issue #19, item 5: in Fleet's yaml.overlays an empty overlay file replaces its base file by nothing,
// the documented way to drop objects for some clusters (rancher/fleet-examples multi-cluster/manifests:
// overlays/noreplication/redis-slave-deployment.yaml is empty).

const clusters = inject('kubeClusters');
const ns = `ovl-${Math.random().toString(16).slice(2, 8)}`;
const converge = { timeout: 60_000, interval: 500 };

const configMap = (name: string, data: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata: {${data}}\n`;

const FILES = {
  ...appFiles(ns, 'blue'),
  'apps/web/replica.yaml': configMap('replica', 'role: follower'),
  'apps/web/service.yaml': configMap('service', 'selector: follower'),
  'apps/web/fleet.yaml': [
    'targetCustomizations:',
    '- name: single',
    '  clusterSelector: {matchLabels: {replication: none}}',
    '  yaml: {overlays: [noreplication]}',
    '',
  ].join('\n'),
  // Empty: alpha gets no replica. The patch beside it shows the overlay is applied, not just skipped.
  'apps/web/overlays/noreplication/replica.yaml': '',
  'apps/web/overlays/noreplication/service_patch.yaml': 'data:\n  selector: leader\n',
};

describe('yaml.overlays: an empty overlay file removes its base file on the clusters it customizes', () => {
  let w: E2eWorld;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-overlays-'));
  const read = (cluster: string, name: string) =>
    kubeClient(clusterByName(clusters, cluster))
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name, namespace: ns })
      .then((cm) => cm.data ?? {})
      .catch(() => undefined);
  const both = (name: string) => Promise.all([read('alpha', name), read('beta', name)]);

  beforeAll(async () => {
    w = await e2eWorld(dir, clusters, ns);
    await w.git.commitFiles('config', FILES, { branch: 'dev' });
    await w.startHub([]);
    w.joinAgent('alpha', { labels: ['replication=none'] });
    w.joinAgent('beta');
  });

  afterAll(async () => {
    await w?.stop();
    if (process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the object out on the cluster with the customization, and deploys it on the other', async () => {
    await expect.poll(() => both('service'), converge).toEqual([{ selector: 'leader' }, { selector: 'follower' }]);
    await expect
      .poll(() => w.withStore((s) => s.deployments.list().map((d) => `${d.cluster}:${d.state}`)), converge)
      .toEqual(['alpha:Ready', 'beta:Ready']);
    expect(await both('replica')).toEqual([undefined, { role: 'follower' }]);
    expect(await both('web')).toEqual([{ color: 'blue' }, { color: 'blue' }]);
  });

  it('prunes the object from a cluster when a commit empties its overlay file there', async () => {
    // A file of comments and empty documents holds no objects either.
    const empty = { 'apps/web/overlays/noreplication/configmap.yaml': '---\n# no web ConfigMap here\n' };
    await w.git.commitFiles('config', empty, { branch: 'dev' });
    await expect.poll(() => both('web'), converge).toEqual([undefined, { color: 'blue' }]);
  });
});
