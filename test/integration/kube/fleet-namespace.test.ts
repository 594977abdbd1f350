import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Namespace } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { e2eWorld, type E2eWorld } from './e2e-support.js';

// Issue #19, item 4: Fleet creates the namespace a bundle's fleet.yaml names (`namespace`, else
// `defaultNamespace`) and sets namespaceLabels and namespaceAnnotations on it; here every object
// failed with `namespaces "..." not found`. The agent now creates it first, labels it, keeps it when
// it leaves the bundle (Fleet never deletes it either) unless deleteNamespace says so, and never
// deletes a namespace it did not create.

const clusters = inject('kubeClusters');
const suffix = Math.random().toString(16).slice(2, 8);
const ns = `fns-web-${suffix}`;
const agentNs = `fns-agent-${suffix}`;
const [first, byHand, third, fourth] = ['first', 'byhand', 'third', 'fourth'].map((n) => `fns-${n}-${suffix}`) as [
  string,
  string,
  string,
  string,
];
const target = `shop-${suffix}`;
const converge = { timeout: 60_000, interval: 500 };

const elsewhere = `fns-elsewhere-${suffix}`;
/** Manifests written for Fleet: no Namespace object; one names a namespace, which `namespace:` overrides. */
const MANIFESTS = {
  [`apps/${target}/config.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata: {a: "1"}\n',
  [`apps/${target}/moved.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: moved\n  namespace: ${elsewhere}\n`,
  [`apps/${target}/service.yaml`]: [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: web',
    'spec:',
    '  selector: {app: web}',
    '  ports: [{port: 80}]',
    '',
  ].join('\n'),
};
const fleetYaml = (lines: string[]) => ({ [`apps/${target}/fleet.yaml`]: `${lines.join('\n')}\n` });

describe('fleet.yaml namespace: the agent creates and labels the namespace, as Fleet does', () => {
  let w: E2eWorld;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-fleet-ns-'));
  const core = kubeClient(clusterByName(clusters, 'alpha')).makeApiClient(CoreV1Api);
  const namespace = (name: string): Promise<V1Namespace | undefined> =>
    core.readNamespace({ name }).catch(() => undefined);
  /** Present and not being deleted. */
  const alive = async (name: string) => {
    const n = await namespace(name);
    return n !== undefined && !n.metadata?.deletionTimestamp;
  };
  const configIn = (name: string) =>
    core
      .readNamespacedConfigMap({ name: 'config', namespace: name })
      .then((c) => c.data)
      .catch(() => undefined);
  const state = () => w.withStore((s) => s.deployments.get({ cluster: 'alpha', target, environment: 'dev' })?.state);

  beforeAll(async () => {
    // Only this target: no Namespace object of another bundle has the agent watch namespaces already.
    w = await e2eWorld(dir, [clusterByName(clusters, 'alpha')], ns, { targets: [target] });
    await w.git.commitFiles(
      'config',
      {
        ...MANIFESTS,
        ...fleetYaml([
          `namespace: ${first}`,
          'namespaceLabels:',
          '  team: shop',
          '  pod-security.kubernetes.io/enforce: privileged',
          'namespaceAnnotations:',
          '  owner: shop-team@example.com',
        ]),
      },
      { branch: 'dev' },
    );
    await w.startHub([]);
    const token = w.hubCli('tokens', 'create', '--cluster', 'alpha', '--label', 'env=dev').trim();
    const trust = ['--hub', `127.0.0.1:${w.grpcPort}`, '--hub-ca', join(w.hubDir, 'tls', 'ca.crt')];
    w.startAgent('alpha', [...trust, '--namespace', agentNs, '--token', token]);
  });

  afterAll(async () => {
    await w?.stop();
    for (const name of [first, byHand, third, fourth, agentNs])
      await core.deleteNamespace({ name }).catch(() => undefined);
    if (process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('creates the namespace before the objects that live in it, with its labels and annotations', async () => {
    await expect.poll(() => configIn(first), converge).toEqual({ a: '1' });
    await expect.poll(state, converge).toBe('Ready');
    const created = await namespace(first);
    expect(created?.metadata?.labels).toMatchObject({ team: 'shop', 'kubernetes.io/metadata.name': first });
    // Pod security stays the cluster administrator's, as in Fleet.
    expect(created?.metadata?.labels).not.toHaveProperty('pod-security.kubernetes.io/enforce');
    expect(created?.metadata?.annotations).toMatchObject({
      owner: 'shop-team@example.com',
      'flotilla.dev/created-for': `dev/${target}`,
      'flotilla.dev/prune': 'disabled',
    });
    expect(created?.metadata?.managedFields?.map((f) => f.manager)).toContain('flotilla');
    // `namespace:` puts every object there, even one that names another namespace (as Fleet does).
    expect((await core.readNamespacedConfigMap({ name: 'moved', namespace: first })).metadata?.name).toBe('moved');
    expect(await alive(elsewhere)).toBe(false);
    // The namespace counts among the deployment's objects.
    expect(w.withStore((s) => s.deployments.get({ cluster: 'alpha', target, environment: 'dev' })?.objects)).toEqual({
      total: 4,
      ready: 4,
      notReady: [],
    });
  });

  it('puts its labels back when someone removes them, and follows fleet.yaml when it changes them', async () => {
    await core.patchNamespace({
      name: first,
      body: [{ op: 'remove', path: '/metadata/labels/team' }],
    });
    await expect.poll(async () => (await namespace(first))?.metadata?.labels?.team, converge).toBe('shop');
    await w.git.commitFiles('config', fleetYaml([`namespace: ${first}`, 'namespaceLabels:', '  tier: web']), {
      branch: 'dev',
    });
    await expect
      .poll(async () => (await namespace(first))?.metadata?.labels, converge)
      .toEqual({ tier: 'web', 'kubernetes.io/metadata.name': first, 'flotilla.dev/bundle': `dev.${target}` });
  });

  it('keeps the namespace it created when the bundle moves on; never touches one it did not create', async () => {
    await core.createNamespace({ body: { metadata: { name: byHand, labels: { keep: 'me' } } } });
    // defaultNamespace only fills in a namespace: the object naming its own would need it to exist.
    const moved = { [`apps/${target}/moved.yaml`]: '' };
    await w.git.commitFiles(
      'config',
      { ...fleetYaml([`defaultNamespace: ${byHand}`, 'deleteNamespace: true']), ...moved },
      {
        branch: 'dev',
      },
    );
    await expect.poll(() => configIn(byHand), converge).toEqual({ a: '1' });
    await expect.poll(() => configIn(first), converge).toBeUndefined();
    await expect.poll(state, converge).toBe('Ready');
    // The first namespace stays (deleteNamespace was not set when it was made, and Fleet keeps them too).
    expect(await alive(first)).toBe(true);
    // The one made by hand is used as it is: not marked, not labelled, not owned.
    const existing = await namespace(byHand);
    expect(existing?.metadata?.labels).toEqual({ keep: 'me', 'kubernetes.io/metadata.name': byHand });
    expect(existing?.metadata?.annotations ?? {}).toEqual({});

    // deleteNamespace: the namespace the agent made goes with the bundle; the one made by hand never does.
    await w.git.commitFiles('config', fleetYaml([`namespace: ${third}`, 'deleteNamespace: true']), {
      branch: 'dev',
    });
    await expect.poll(() => configIn(third), converge).toEqual({ a: '1' });
    expect((await namespace(third))?.metadata?.annotations).toEqual({ 'flotilla.dev/created-for': `dev/${target}` });
    await w.git.commitFiles('config', fleetYaml([`namespace: ${fourth}`, 'deleteNamespace: true']), {
      branch: 'dev',
    });
    await expect.poll(() => configIn(fourth), converge).toEqual({ a: '1' });
    await expect.poll(() => alive(third), converge).toBe(false);
    expect(await alive(byHand)).toBe(true);
    expect(await configIn(byHand)).toBeUndefined();
    expect(await alive(first)).toBe(true);
    await expect.poll(state, converge).toBe('Ready');
  });
});
