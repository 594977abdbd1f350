// The agent's install manifests for one cluster, as a pure function, with the cluster's name, hub
// address, registration token and hub CA filled in. `fleet agent manifest` prints them; `fleet agent
// install` applies them; deploy/agent/*.yaml are generated from them (agent-deploy.ts).
import { isIP } from 'node:net';
import { stringify } from 'yaml';
import { FLOTILLA_VERSION, parseHostPort, type KubeObject } from '@flotilla/common';
import { FlotillaError } from '@flotilla/proto';

export const AGENT_IMAGE_REPOSITORY = 'ghcr.io/flotilla-fleet/flotilla-agent';
/** The agent image of this release. */
export const AGENT_IMAGE = `${AGENT_IMAGE_REPOSITORY}:${FLOTILLA_VERSION}`;
export const AGENT_NAMESPACE = 'flotilla-system';
/** Where the agent keeps its credential, client certificate and key once registered. */
export const IDENTITY_SECRET = 'flotilla-agent-identity';
export const BOOTSTRAP_SECRET = 'flotilla-agent-bootstrap';

export class AgentManifestError extends FlotillaError {
  readonly code = 'AGENT_MANIFEST';
}

export interface AgentManifestInput {
  cluster: string;
  /** Where the agent dials the hub's gRPC endpoint (host:port). */
  hubAddress: string;
  /** One-time registration token; without it the manifest carries no token (the agent must hold a credential). */
  token?: string;
  image?: string;
  /** PEM of the CA the agent trusts for the hub (`flotilla-hub ca show`). */
  caCertificate?: string;
  /** sha256:<hex> pin of the hub CA (`flotilla-hub ca hash`), instead of or beside caCertificate. */
  caHash?: string;
  /** The name the hub's certificate carries, when the agent dials it by another (an IP, a tunnel). */
  tlsServerName?: string;
  /** Where the agent runs and keeps its inventories and identity; default flotilla-system. */
  namespace?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const labels = { 'app.kubernetes.io/name': 'flotilla-agent', 'app.kubernetes.io/part-of': 'flotilla' };

function validate(i: AgentManifestInput): void {
  if (!i.cluster.trim()) throw new AgentManifestError('agent manifest: the cluster name is empty');
  const host = parseHostPort(i.hubAddress)?.host ?? '';
  if (!(isIP(host) || /^[a-zA-Z0-9.-]+$/.test(host))) {
    throw new AgentManifestError(
      `agent manifest: hub address "${i.hubAddress}" is not host:port (e.g. hub.example.com:9443)`,
    );
  }
  const ns = i.namespace ?? AGENT_NAMESPACE;
  if (!DNS_LABEL.test(ns)) throw new AgentManifestError(`agent manifest: namespace "${ns}" is not a DNS label`);
  if (i.caCertificate !== undefined && !i.caCertificate.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AgentManifestError(
      'agent manifest: the hub CA is not a PEM certificate (flotilla-hub ca show prints it)',
    );
  }
  if (i.caHash !== undefined && !/^sha256:[0-9a-f]{64}$/.test(i.caHash)) {
    throw new AgentManifestError(
      `agent manifest: CA hash "${i.caHash}" is not sha256:<64 hex digits> (flotilla-hub ca hash)`,
    );
  }
}

function rbac(ns: string): KubeObject[] {
  const subjects = [{ kind: 'ServiceAccount', name: 'flotilla-agent', namespace: ns }];
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'flotilla-agent', labels },
      // The agent applies whatever Git holds for this cluster (any kind, CRDs, RBAC), prunes it and
      // watches it for drift: that is cluster-admin. Narrow it to the kinds your bundles contain.
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'flotilla-agent', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flotilla-agent' },
      subjects,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'flotilla-agent-state', namespace: ns, labels },
      // What the agent itself needs, kept when the ClusterRole above is narrowed: inventories
      // (ConfigMaps) and its identity Secret.
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [IDENTITY_SECRET],
          verbs: ['get', 'update', 'patch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'flotilla-agent-state', namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'flotilla-agent-state' },
      subjects,
    },
  ];
}

function container(i: AgentManifestInput) {
  const env: Record<string, unknown>[] = [
    { name: 'FLOTILLA_HUB', value: i.hubAddress },
    { name: 'FLOTILLA_CLUSTER', value: i.cluster },
    { name: 'FLOTILLA_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'FLOTILLA_STATE_DIR', value: '/var/lib/flotilla-agent' },
    { name: 'FLOTILLA_IDENTITY_SECRET', value: IDENTITY_SECRET },
    { name: 'FLOTILLA_HEALTH_ADDR', value: '0.0.0.0:8081' },
    {
      name: 'FLOTILLA_REGISTRATION_TOKEN',
      valueFrom: { secretKeyRef: { name: BOOTSTRAP_SECRET, key: 'token', optional: true } },
    },
    ...(i.caCertificate ? [{ name: 'FLOTILLA_HUB_CA', value: '/etc/flotilla/hub/ca.crt' }] : []),
    ...(i.caHash ? [{ name: 'FLOTILLA_HUB_CA_HASH', value: i.caHash }] : []),
    ...(i.tlsServerName ? [{ name: 'FLOTILLA_TLS_SERVER_NAME', value: i.tlsServerName }] : []),
  ];
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: 'health' },
    periodSeconds,
    timeoutSeconds: 5,
  });
  return {
    name: 'agent',
    image: i.image ?? AGENT_IMAGE,
    args: ['run'],
    env,
    ports: [{ name: 'health', containerPort: 8081 }],
    livenessProbe: { ...probe('/healthz', 20), failureThreshold: 3 },
    readinessProbe: probe('/readyz', 10),
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMounts: [
      { name: 'state', mountPath: '/var/lib/flotilla-agent' },
      ...(i.caCertificate ? [{ name: 'hub-ca', mountPath: '/etc/flotilla/hub', readOnly: true }] : []),
    ],
  };
}

function deployment(i: AgentManifestInput, ns: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'flotilla-agent', namespace: ns, labels: { ...labels, 'app.kubernetes.io/component': 'agent' } },
    spec: {
      // One agent per cluster: Recreate stops the old one before the new one starts.
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'flotilla-agent' } },
      template: {
        metadata: { labels: { ...labels, 'app.kubernetes.io/component': 'agent' } },
        spec: {
          serviceAccountName: 'flotilla-agent',
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container(i)],
          volumes: [
            // Bundle cache and last applied state: rebuilt from the hub when lost. The credential
            // and client certificate survive restarts in the identity Secret.
            { name: 'state', emptyDir: { sizeLimit: '1Gi' } },
            ...(i.caCertificate
              ? [
                  {
                    name: 'hub-ca',
                    secret: { secretName: BOOTSTRAP_SECRET, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
                  },
                ]
              : []),
          ],
        },
      },
    },
  };
}

/** The agent's objects for one cluster, in apply order (Namespace first). */
export function agentManifestObjects(input: AgentManifestInput): KubeObject[] {
  validate(input);
  const ns = input.namespace ?? AGENT_NAMESPACE;
  const secretData = {
    ...(input.token ? { token: input.token } : {}),
    ...(input.caCertificate ? { 'ca.crt': input.caCertificate } : {}),
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: { 'app.kubernetes.io/part-of': 'flotilla', 'pod-security.kubernetes.io/enforce': 'restricted' },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'flotilla-agent', namespace: ns, labels } },
    ...rbac(ns),
    ...(Object.keys(secretData).length > 0
      ? [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: BOOTSTRAP_SECRET, namespace: ns, labels },
            type: 'Opaque',
            stringData: secretData,
          },
        ]
      : []),
    deployment(input, ns),
  ];
}

/** The same objects as one multi-document YAML stream. */
export function renderAgentManifest(input: AgentManifestInput): string {
  return agentManifestObjects(input)
    .map((o) => stringify(o, { lineWidth: 0 }))
    .join('---\n');
}
