import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import * as pki from '@flotilla/proto/pki';
import {
  AgentManifestError,
  agentManifestObjects,
  renderAgentManifest,
  type AgentManifestInput,
} from './agent-manifest.js';

const ca = pki.createAuthority({ commonName: 'Flotilla hub CA' }).certificatePem;
const input: AgentManifestInput = {
  cluster: 'eu-1',
  hubAddress: 'hub.example.com:9443',
  token: 'flreg_x',
  caCertificate: ca,
};

type Container = { image: string; env: { name: string; value?: string }[]; volumeMounts: { name: string }[] };
const containerOf = (objects: ReturnType<typeof agentManifestObjects>) =>
  (objects.find((o) => o.kind === 'Deployment')?.spec as { template: { spec: { containers: Container[] } } }).template
    .spec.containers[0]!;
const env = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));

describe('agent manifests for one cluster', () => {
  it('lists the objects in apply order and renders them as YAML that parses back to the same objects', () => {
    const objects = agentManifestObjects(input);
    expect(objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Secret',
      'Deployment',
    ]);
    const parsed = parseAllDocuments(renderAgentManifest(input)).map((d) => d.toJS() as unknown);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(objects)));
  });

  it('fills in the cluster, hub, token and CA', () => {
    const objects = agentManifestObjects({ ...input, image: 'registry.local/agent:dev' });
    expect(objects.find((o) => o.kind === 'Secret')).toMatchObject({ stringData: { token: 'flreg_x', 'ca.crt': ca } });
    const c = containerOf(objects);
    expect(c.image).toBe('registry.local/agent:dev');
    expect(env(c)).toMatchObject({
      FLOTILLA_HUB: 'hub.example.com:9443',
      FLOTILLA_CLUSTER: 'eu-1',
      FLOTILLA_HUB_CA: '/etc/flotilla/hub/ca.crt',
    });
    expect(c.volumeMounts.map((v) => v.name)).toEqual(['state', 'hub-ca']);
  });

  it('pins the CA by hash instead, and carries no Secret without a token or CA', () => {
    const pin = pki.publicKeyPin(ca);
    const objects = agentManifestObjects({
      cluster: 'eu-1',
      hubAddress: '10.0.0.7:9443',
      caHash: pin,
      namespace: 'ops',
    });
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    const c = containerOf(objects);
    expect(env(c)).toMatchObject({ FLOTILLA_HUB_CA_HASH: pin });
    expect(env(c)).not.toHaveProperty('FLOTILLA_HUB_CA');
    expect(c.volumeMounts.map((v) => v.name)).toEqual(['state']);
    expect(objects.find((o) => o.kind === 'ClusterRoleBinding')).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'flotilla-agent', namespace: 'ops' }],
    });
  });

  it.each([
    [{ cluster: ' ' }, 'the cluster name is empty'],
    [{ hubAddress: 'hub.example.com' }, 'hub address "hub.example.com" is not host:port'],
    [{ hubAddress: 'hub:99999' }, 'is not host:port'],
    [{ namespace: 'Flotilla_System' }, 'namespace "Flotilla_System" is not a DNS label'],
    [{ caCertificate: 'not a cert' }, 'the hub CA is not a PEM certificate'],
    [{ caHash: 'sha1:abc' }, 'CA hash "sha1:abc" is not sha256:<64 hex digits>'],
  ])('refuses %j, naming the field', (bad, message) => {
    expect(() => agentManifestObjects({ ...input, ...bad })).toThrow(AgentManifestError);
    expect(() => agentManifestObjects({ ...input, ...bad })).toThrow(message);
  });
});
