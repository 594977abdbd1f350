// deploy/agent/*.yaml, made from the same objects as `fleet agent manifest`: one source for the
// kustomize install and the CLI's. `npm run gen:agent-deploy` writes the files; a unit test fails
// when they differ from what this returns.
import { Document, isMap, isNode, isScalar, isSeq, visit } from 'yaml';
import { FLOTILLA_VERSION, type KubeObject } from '@flotilla/common';
import { AGENT_IMAGE_REPOSITORY, agentManifestObjects } from './agent-manifest.js';

/** Where a comment goes: the path of a map key, or of a list item, from the object's root. */
type CommentAt = readonly (string | number)[];

interface DeployFile {
  name: string;
  objects: KubeObject[];
  header?: string;
  comments?: [kind: string, at: CommentAt, text: string][];
}

const GENERATED =
  'Generated from cli/src/agent-manifest.ts by `npm run gen:agent-deploy`, as `fleet agent manifest` renders it.';

/** What deploy/agent installs: a hub in the same cluster (deploy/hub), the values to fill in left as placeholders. */
function deployObjects(): KubeObject[] {
  const objects = agentManifestObjects({
    cluster: 'local',
    hubAddress: 'flotilla-hub.flotilla-system.svc:9443',
    token: 'REPLACE_WITH_REGISTRATION_TOKEN',
    // The renderer asks a PEM header of the CA; the Secret's values become placeholders just below.
    caCertificate: '-----BEGIN CERTIFICATE-----',
  });
  return objects.map((o) =>
    o.kind === 'Secret'
      ? { ...o, stringData: { token: 'REPLACE_WITH_REGISTRATION_TOKEN', 'ca.crt': 'REPLACE_WITH_HUB_CA_CERTIFICATE' } }
      : o,
  );
}

function files(): DeployFile[] {
  const objects = deployObjects();
  const of = (...kinds: string[]) =>
    kinds.map((k) => {
      const found = objects.find((o) => o.kind === k);
      if (!found) throw new Error(`agent deploy files: the renderer gives no ${k}`);
      return found;
    });
  return [
    {
      name: 'namespace.yaml',
      objects: of('Namespace'),
      header: 'The agent keeps its inventories (ConfigMaps) and its identity Secret here.',
      comments: [
        [
          'Namespace',
          ['metadata', 'labels', 'pod-security.kubernetes.io/enforce'],
          'Every Flotilla pod runs under the restricted Pod Security Standard.',
        ],
      ],
    },
    { name: 'serviceaccount.yaml', objects: of('ServiceAccount') },
    {
      name: 'rbac.yaml',
      objects: of('ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'),
      header: `What the agent may do in the cluster it manages.

flotilla-agent (ClusterRole): the agent applies whatever Git holds for this cluster (any kind,
CustomResourceDefinitions, RBAC, namespaces), prunes what left Git and watches what it applied for
drift. That is cluster-admin, stated here rather than hidden behind a binding to cluster-admin.
To narrow it, list the API groups and resources your bundles contain, with the verbs
get, list, watch, create, update, patch, delete (and escalate, bind when bundles carry RBAC).

flotilla-agent-state (Role, own namespace): what the agent needs for itself and keeps when the
ClusterRole is narrowed: its inventories (ConfigMaps) and its identity Secret (credential, client
certificate and key), which it creates once and then only reads and updates.`,
      comments: [
        [
          'Role',
          ['rules', 1],
          'create cannot be limited by name (the name is not known to the authorizer before the object exists).',
        ],
      ],
    },
    {
      name: 'secret.yaml',
      objects: of('Secret'),
      header: `What the agent needs to join the hub. Fill both values, or let \`fleet agent manifest --cluster NAME\`
(or \`fleet agent install\`) render this Secret with a fresh token and the hub's CA:
  token:   flotilla-hub tokens create --cluster NAME   (one-time, expires; the agent trades it for a
           credential kept in the flotilla-agent-identity Secret, after which it may be deleted)
  ca.crt:  flotilla-hub ca show                         (the CA that signed the hub's certificate)`,
    },
    {
      name: 'deployment.yaml',
      objects: of('Deployment'),
      comments: [
        [
          'Deployment',
          ['spec', 'replicas'],
          'One agent per cluster: Recreate stops the old one before the new one starts.',
        ],
        [
          'Deployment',
          ['spec', 'template', 'spec', 'containers', 0, 'env', 0],
          "The hub's gRPC endpoint; this default is a hub in the same cluster (deploy/hub).",
        ],
        [
          'Deployment',
          ['spec', 'template', 'spec', 'containers', 0, 'env', 1],
          'Must be the cluster the registration token was minted for.',
        ],
        [
          'Deployment',
          ['spec', 'template', 'spec', 'volumes', 0],
          `Bundle cache and last applied state: rebuilt from the hub when lost. The credential and
client certificate survive restarts in the identity Secret.`,
        ],
      ],
    },
  ];
}

// yaml writes each line as "#" and the line; a lone space gives a bare "#" (an empty line would stay empty).
const commentText = (text: string) =>
  text
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');

/** Puts a comment above a map key or a list item; throws when the path names neither (the objects changed). */
function commentBefore(doc: Document, at: CommentAt, text: string, where: string): void {
  const parent = doc.getIn(at.slice(0, -1), true);
  const last = at[at.length - 1];
  const node =
    typeof last === 'string' && isMap(parent)
      ? parent.items.find((p) => isScalar(p.key) && p.key.value === last)?.key
      : typeof last === 'number' && isSeq(parent)
        ? parent.items[last]
        : undefined;
  if (!isNode(node)) throw new Error(`agent deploy files: ${where} has nothing at ${at.join('.')} to comment on`);
  node.commentBefore = commentText(text);
}

interface YamlOptions {
  header?: string;
  comments?: [CommentAt, string][];
  /** Short lists of words on one line, as kubectl users write them: verbs: [get, list]. */
  flowLists?: boolean;
  where: string;
}

/** One YAML document with comments, starting with apiVersion. */
function yamlOf(value: object, o: YamlOptions): string {
  const doc = new Document(value);
  if (o.flowLists) {
    visit(doc, {
      Seq(_, seq) {
        if (seq.items.every(isScalar)) seq.flow = true;
      },
    });
  }
  for (const [at, text] of o.comments ?? []) commentBefore(doc, at, text, o.where);
  // On the first key rather than the document, so that no blank line separates it from the object.
  if (o.header) commentBefore(doc, ['apiVersion'], o.header, o.where);
  return doc.toString({ lineWidth: 0, singleQuote: true, flowCollectionPadding: false });
}

/** deploy/agent's files by name, kustomization.yaml last, each as it must read. */
export function agentDeployFiles(): Map<string, string> {
  const out = new Map<string, string>();
  const list = files();
  for (const f of list) {
    const docs = f.objects.map((object, i) =>
      yamlOf(object, {
        header: i === 0 ? [GENERATED, f.header].filter(Boolean).join('\n') : undefined,
        comments: (f.comments ?? [])
          .filter(([kind]) => kind === object.kind)
          .map(([, at, text]): [CommentAt, string] => [at, text]),
        flowLists: true,
        where: `${f.name} ${object.kind}`,
      }),
    );
    out.set(f.name, docs.join('---\n'));
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: 'flotilla-system',
    resources: list.map((f) => f.name),
    images: [{ name: AGENT_IMAGE_REPOSITORY, newTag: FLOTILLA_VERSION }],
  };
  const header = `${GENERATED}
One agent for one cluster: fill secret.yaml and FLOTILLA_CLUSTER / FLOTILLA_HUB in deployment.yaml
(or render all of it with \`fleet agent manifest\`), then kubectl apply -k deploy/agent.`;
  out.set('kustomization.yaml', yamlOf(kustomization, { header, where: 'kustomization.yaml' }));
  return out;
}
