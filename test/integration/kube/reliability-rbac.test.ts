import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryStore, KubeClient, reconcile, type KubeObject } from '@flotilla/agent';
import { bundle, configMap, namespace, useClusterAlpha } from './agent-support.js';

/**
 * Objects in namespaces the agent may not touch. Decision: the cluster's RBAC is the authority. The
 * hub cannot know each cluster's policy, and a second allow-list in Flotilla would drift from it; so
 * an operator confines an agent by giving its ServiceAccount less, and the agent, refused by the
 * apiserver, reports each such object as failed (ErrApplied) naming it and the apiserver's reason,
 * while everything it may write is applied and kept.
 */
const { alpha, kubectl, fresh } = useClusterAlpha();

describe('an agent whose RBAC confines it to one namespace', () => {
  let allowed: string;
  let other: string;
  let dir: string;
  let client: KubeClient;

  beforeAll(async () => {
    allowed = fresh('rbac-allowed');
    other = fresh('rbac-other');
    for (const ns of [allowed, other]) await kubectl.client.apply(namespace(ns));
    const sa = 'flotilla-agent';
    const grant: KubeObject[] = [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: allowed } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'agent', namespace: allowed },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'agent', namespace: allowed },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent' },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: allowed }],
      },
    ];
    for (const o of grant) await kubectl.client.apply(o);
    const { status } = await kubectl.client.transport.request<{ status: { token: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${allowed}/serviceaccounts/${sa}/token`,
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }),
      contentType: 'application/json',
      what: 'token for the confined agent',
    });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-rbac-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'alpha', cluster: { server: alpha.server, 'certificate-authority': alpha.caFile } }],
        users: [{ name: 'confined', user: { token: status.token } }],
        contexts: [{ name: 'confined', context: { cluster: 'alpha', user: 'confined' } }],
        'current-context': 'confined',
      }),
    );
    client = KubeClient.fromKubeconfig(kubeconfig, undefined, {
      retry: { retryForMs: 2000, baseDelayMs: 100, maxDelayMs: 500 },
    });
  });

  afterAll(() => {
    client?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies what it may, and reports each forbidden object by name with the reason; nothing is written there', async () => {
    const objects: KubeObject[] = [
      configMap(allowed, 'mine', { a: '1' }),
      configMap(other, 'theirs', { a: '1' }),
      configMap('kube-system', 'flotilla-was-here', { a: '1' }),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `${allowed}-escalate` },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
    ];
    // Its inventory lives in the namespace it may write.
    const r = await reconcile(bundle(`rbac/${allowed}`, objects), {
      client,
      inventories: new InventoryStore(client, allowed),
    });
    const change = Object.fromEntries(
      r.results.map((x) => [`${x.ref.kind}/${x.ref.namespace}/${x.ref.name}`, x.change]),
    );
    expect(change).toEqual({
      [`ConfigMap/${allowed}/mine`]: 'created',
      [`ConfigMap/${other}/theirs`]: 'failed',
      'ConfigMap/kube-system/flotilla-was-here': 'failed',
      [`ClusterRole//${allowed}-escalate`]: 'failed',
    });
    expect(r.report.state).toBe('ErrApplied');
    for (const ref of [`ConfigMap/${other}/theirs`, 'ConfigMap/kube-system/flotilla-was-here']) {
      expect(r.report.message).toMatch(
        new RegExp(`${ref}: .*forbidden: User "system:serviceaccount:${allowed}:flotilla-agent"`),
      );
    }
    expect(r.report.message).toContain(`ClusterRole/${allowed}-escalate: `);
    expect(await kubectl.get('v1', 'ConfigMap', allowed, 'mine')).toBeDefined();
    expect(await kubectl.get('v1', 'ConfigMap', other, 'theirs')).toBeUndefined();
    expect(await kubectl.get('v1', 'ConfigMap', 'kube-system', 'flotilla-was-here')).toBeUndefined();
    expect(await kubectl.get('rbac.authorization.k8s.io/v1', 'ClusterRole', '', `${allowed}-escalate`)).toBeUndefined();

    // The next reconcile keeps the allowed object and reports the same refusals: nothing flaps.
    const again = await reconcile(bundle(`rbac/${allowed}`, objects), {
      client,
      inventories: new InventoryStore(client, allowed),
    });
    expect(again.results.filter((x) => x.change === 'failed')).toHaveLength(3);
    expect(again.results.find((x) => x.ref.name === 'mine')?.change).toBe('unchanged');
  });
});
