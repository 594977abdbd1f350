import { Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { renderAgent } from '../../agent-install.js';
import { parseDuration, parseLabels } from '../../parse.js';

export default class AgentManifest extends FleetCommand<typeof AgentManifest> {
  static override summary = "Print the agent's Kubernetes manifests (YAML) for a cluster.";
  static override description = `Apply them with kubectl, or commit them to the repo that bootstraps your clusters. With --register, the manifests carry a fresh one-time registration token (operator role for a new cluster, admin for one the hub already holds); otherwise pass one with --token (from \`fleet clusters register\`), or leave it out for an agent that already holds a credential. The agent address and the hub CA come from the hub (GET /api/v1/hub). The output is a multi-document YAML stream (a JSON list with -o json). To run the agent as a process instead (no container runtime, a simulated cluster), see \`fleet clusters register\` and README: "Running the agent as a process".`;
  static override examples = [
    '<%= config.bin %> agent manifest --cluster eu-1 --register | kubectl --context eu-1 apply --server-side -f -',
    '<%= config.bin %> agent manifest --cluster eu-1 --token "$TOKEN" --image registry.example.com/flotilla-agent:0.1.0',
  ];
  static override flags = {
    cluster: Flags.string({ char: 'c', required: true, summary: 'The cluster the agent runs in.' }),
    image: Flags.string({ summary: 'The agent image (default: the release the CLI belongs to).' }),
    token: Flags.string({ summary: 'A registration token to embed.', exclusive: ['register'] }),
    register: Flags.boolean({ summary: 'Mint a registration token for the cluster and embed it.' }),
    label: Flags.string({ char: 'l', multiple: true, summary: 'With --register: a cluster label key=value.' }),
    ttl: Flags.string({ summary: 'With --register: how long the token stays valid.', default: '1h' }),
    'hub-address': Flags.string({ summary: 'host:port agents dial (default: what the hub advertises).' }),
    'tls-server-name': Flags.string({ summary: "The name in the hub's certificate, when agents dial another." }),
    namespace: Flags.string({ summary: 'The namespace of the agent (default flotilla-system).' }),
  };

  async run() {
    const f = this.flags;
    const client = this.client();
    const hub = await client.hubInfo();
    let token = f.token;
    if (f.register) {
      const reg = await client.registerCluster({
        name: f.cluster,
        ...(f.label ? { labels: parseLabels(f.label) } : {}),
        ttlSeconds: Math.max(1, Math.round(parseDuration(f.ttl, '--ttl') / 1000)),
      });
      token = reg.token;
    }
    const rendered = await renderAgent(hub, {
      cluster: f.cluster,
      hubAddress: f['hub-address'],
      ...(token ? { token } : {}),
      ...(f.image ? { image: f.image } : {}),
      ...(f['tls-server-name'] ? { tlsServerName: f['tls-server-name'] } : {}),
      ...(f.namespace ? { namespace: f.namespace } : {}),
    });
    if (this.format === 'json') {
      this.print(rendered.objects, () => '');
    } else {
      const yaml = rendered.yaml();
      process.stdout.write(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
    }
    return rendered.objects;
  }
}
