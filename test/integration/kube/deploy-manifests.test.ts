import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import { KubeApiError, KubeClient, type KubeObject } from '@flotilla/agent';
import { agentManifestObjects } from '@flotilla/cli';
import { pki } from '@flotilla/proto/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, locateBinaries } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';

const cluster = clusterByName(inject('kubeClusters'), 'alpha');
const client = KubeClient.fromKubeconfig(cluster.kubeconfig);
const bins = locateBinaries();
const customNs = `flotilla-dry-${randomBytes(3).toString('hex')}`;

/** `kustomize build deploy/<name>`, as objects. */
const built = (name: string): KubeObject[] =>
  parseAllDocuments(execFileSync(bins.kustomize, ['build', join(REPO_ROOT, 'deploy', name)], { encoding: 'utf8' }))
    .map((d) => d.toJS() as KubeObject)
    .filter(Boolean);

const kinds = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

/** Server-side apply with dryRun=All: validated, defaulted and admitted by the apiserver, never stored. */
async function dryRun(objects: KubeObject[]): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const o of objects) {
    if (o.kind === 'Namespace') {
      // Namespaced dry runs need their namespace to exist: it is applied for real (and is harmless).
      out.push((await client.apply(o)).object);
      continue;
    }
    // Forced: other suites on this cluster (agent-install) really apply the same cluster-scoped RBAC
    // with another field manager, and a dry run validates the manifest, it does not contend for fields.
    out.push((await client.apply(o, { dryRun: true, force: true })).object);
  }
  return out;
}

/** The pod a Deployment would create, dry-run as a Pod so that Pod Security admission judges it. */
function podOf(d: KubeObject): KubeObject {
  const template = (d.spec as { template: { metadata: object; spec: Record<string, unknown> } }).template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name: `${d.metadata.name}-dry-run`, namespace: d.metadata.namespace },
    // The service account is not created by a dry run; the pod's security is what is judged here.
    spec: { ...template.spec, serviceAccountName: 'default' },
  };
}

const ca = pki.createAuthority({ commonName: 'Flotilla hub CA' }).certificatePem;
const rendered = (o: Partial<Parameters<typeof agentManifestObjects>[0]> = {}) =>
  agentManifestObjects({
    cluster: 'alpha',
    hubAddress: 'hub.example.com:9443',
    token: 'flreg_example',
    caCertificate: ca,
    ...o,
  });

describe('deploy/ manifests, validated by a server-side dry run on a simulated cluster', () => {
  beforeAll(async () => {
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: customNs } });
  });

  afterAll(async () => {
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: customNs }).catch(() => undefined);
    client.close();
  });

  it('deploy/hub: namespace, service account without API access, PVC, service, deployment with probes', async () => {
    const objects = built('hub');
    expect(kinds(objects)).toEqual([
      'Namespace/flotilla-system',
      'ServiceAccount/flotilla-hub',
      'Service/flotilla-hub',
      'PersistentVolumeClaim/flotilla-hub-data',
      'Deployment/flotilla-hub',
    ]);
    const admitted = await dryRun(objects);
    const hub = admitted.find((o) => o.kind === 'Deployment') as KubeObject & {
      spec: { template: { spec: { automountServiceAccountToken: boolean; containers: Record<string, unknown>[] } } };
    };
    const container = hub.spec.template.spec.containers[0]!;
    expect(container).toMatchObject({
      imagePullPolicy: 'IfNotPresent', // defaulted: the apiserver really processed it
      readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '3Gi' } },
    });
    expect(hub.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(objects.some((o) => /Role/.test(o.kind))).toBe(false);
  });

  it('deploy/agent: explicit RBAC, bootstrap Secret, deployment with probes', async () => {
    const objects = built('agent');
    expect(kinds(objects)).toEqual([
      'Namespace/flotilla-system',
      'ServiceAccount/flotilla-agent',
      'Role/flotilla-agent-state',
      'ClusterRole/flotilla-agent',
      'RoleBinding/flotilla-agent-state',
      'ClusterRoleBinding/flotilla-agent',
      'Secret/flotilla-agent-bootstrap',
      'Deployment/flotilla-agent',
    ]);
    const admitted = await dryRun(objects);
    expect(admitted.find((o) => o.kind === 'ClusterRoleBinding')).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'flotilla-agent', namespace: 'flotilla-system' }],
    });
  });

  it('both pods pass the restricted Pod Security Standard of their namespace', async () => {
    for (const name of ['hub', 'agent']) {
      const deployment = built(name).find((o) => o.kind === 'Deployment')!;
      await expect(client.apply(podOf(deployment), { dryRun: true })).resolves.toBeDefined();
    }
    const deployment = built('agent').find((o) => o.kind === 'Deployment')!;
    const privileged = podOf(deployment) as KubeObject & { spec: { containers: { securityContext: object }[] } };
    privileged.spec.containers[0]!.securityContext = { privileged: true };
    const refused = await client.apply(privileged, { dryRun: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as Error).message).toMatch(/violates PodSecurity "restricted/);
  });

  it('the renderer gives the objects of deploy/agent, with the cluster, hub, token and CA filled in', () => {
    const normalise = (objects: KubeObject[]) =>
      objects
        .map((o) => (o.kind === 'Secret' ? { ...o, stringData: Object.keys(o.stringData as object).sort() } : o))
        .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
    const fromFiles = built('agent');
    const fromRenderer = rendered({ cluster: 'local', hubAddress: 'flotilla-hub.flotilla-system.svc:9443' });
    expect(JSON.parse(JSON.stringify(normalise(fromRenderer)))).toEqual(normalise(fromFiles));
  });

  it("rendered agent manifests for a cluster pass the dry run in a namespace of one's choice", async () => {
    const objects = rendered({ namespace: customNs, caCertificate: undefined, caHash: pki.publicKeyPin(ca) });
    const admitted = await dryRun(objects);
    const secret = admitted.find((o) => o.kind === 'Secret') as KubeObject & { data: Record<string, string> };
    expect(Object.keys(secret.data)).toEqual(['token']);
    expect(Buffer.from(secret.data.token!, 'base64').toString()).toBe('flreg_example');
    const deployment = admitted.find((o) => o.kind === 'Deployment')!;
    expect(deployment.metadata.namespace).toBe(customNs);
    expect(JSON.stringify(deployment)).toContain(pki.publicKeyPin(ca));
    await expect(client.apply(podOf(deployment), { dryRun: true })).resolves.toBeDefined();
  });

  it("the agent's own Role allows its inventories and its identity Secret, and nothing else", async () => {
    const objects = rendered({ namespace: customNs }).filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding');
    for (const o of objects) await client.apply(o); // for real: the authorizer judges stored RBAC only
    const authz = kubeClient(cluster).makeApiClient(AuthorizationV1Api);
    const may = async (verb: string, resource: string, name?: string) => {
      const review = await authz.createSubjectAccessReview({
        body: {
          spec: {
            user: `system:serviceaccount:${customNs}:flotilla-agent`,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${customNs}`, 'system:authenticated'],
            resourceAttributes: { namespace: customNs, verb, resource, ...(name ? { name } : {}) },
          },
        },
      });
      return `${verb} ${resource}${name ? `/${name}` : ''}: ${review.status?.allowed ? 'yes' : 'no'}`;
    };
    await expect.poll(() => may('patch', 'configmaps', 'inv')).toBe('patch configmaps/inv: yes');
    expect(
      await Promise.all([
        may('list', 'configmaps'),
        may('create', 'secrets'),
        may('patch', 'secrets', 'flotilla-agent-identity'),
        may('get', 'secrets', 'flotilla-agent-bootstrap'),
        may('get', 'pods'),
      ]),
    ).toEqual([
      'list configmaps: yes',
      'create secrets: yes',
      'patch secrets/flotilla-agent-identity: yes',
      'get secrets/flotilla-agent-bootstrap: no',
      'get pods: no',
    ]);
  });

  it('a manifest the apiserver would refuse fails the dry run (the check is real)', async () => {
    const deployment = rendered().find((o) => o.kind === 'Deployment')!;
    const broken = JSON.parse(JSON.stringify(deployment)) as {
      spec: { template: { spec: { containers: { ports: unknown[] }[] } } };
    };
    broken.spec.template.spec.containers[0]!.ports = [{ name: 'health', containerPort: 99999 }];
    const err = await client.apply(broken as unknown as KubeObject, { dryRun: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as Error).message).toMatch(/containerPort/);
  });
});
