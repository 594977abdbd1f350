import { Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { kubeTarget, renderAgent, waitRegistered } from '../../agent-install.js';
import { details } from '../../format.js';
import { parseDuration, parseLabels } from '../../parse.js';

export default class AgentInstall extends FleetCommand<typeof AgentInstall> {
  static override summary = 'Install the agent into a cluster and wait until it has registered with the hub.';
  static override description = `Registers the cluster (a fresh one-time token; operator role), renders the agent's manifests, applies them with server-side apply (field manager "fleet") through the given kube context, then waits until the hub shows the cluster registered and connected (exit code 6 when --timeout passes first). Run it again to reinstall: a new token is minted each time, which for a cluster the hub already holds needs the admin role.

The agent runs as a Deployment: on a cluster with no container runtime (a simulated cluster such as the demo's and the tests', where pods never really start) it never registers. Run it as a process against the kube context instead: \`fleet clusters register\` prints the \`flotilla-agent run\` command line (README: "Running the agent as a process").`;
  static override examples = [
    '<%= config.bin %> agent install --context kind-eu-1 --cluster eu-1 --label env=prod --label region=eu',
    '<%= config.bin %> agent install --context prod-us --cluster us-1 --kubeconfig ~/.kube/prod.yaml --timeout 10m',
  ];
  static override flags = {
    context: Flags.string({ required: true, summary: 'The kube context of the cluster to install into.' }),
    cluster: Flags.string({ char: 'c', required: true, summary: 'The name the cluster has in the fleet.' }),
    kubeconfig: Flags.string({ summary: 'The kubeconfig file (default: $KUBECONFIG or ~/.kube/config).' }),
    label: Flags.string({ char: 'l', multiple: true, summary: 'A cluster label key=value (repeat).' }),
    image: Flags.string({ summary: 'The agent image (default: the release the CLI belongs to).' }),
    'hub-address': Flags.string({ summary: 'host:port agents dial (default: what the hub advertises).' }),
    'tls-server-name': Flags.string({ summary: "The name in the hub's certificate, when agents dial another." }),
    namespace: Flags.string({ summary: 'The namespace of the agent (default flotilla-system).' }),
    timeout: Flags.string({ summary: 'How long to wait for the agent to register (e.g. 5m).', default: '5m' }),
    'no-wait': Flags.boolean({ summary: 'Return once the manifests are applied.' }),
  };

  async run() {
    const f = this.flags;
    const client = this.client();
    const timeoutMs = parseDuration(f.timeout, '--timeout');
    const hub = await client.hubInfo();
    const base = {
      cluster: f.cluster,
      hubAddress: f['hub-address'],
      ...(f.image ? { image: f.image } : {}),
      ...(f['tls-server-name'] ? { tlsServerName: f['tls-server-name'] } : {}),
      ...(f.namespace ? { namespace: f.namespace } : {}),
    };
    // Check the kube context and render once without a token first: a wrong context, address or
    // namespace fails before a token is minted.
    const kube = await kubeTarget({ context: f.context, kubeconfig: f.kubeconfig });
    await renderAgent(hub, base);
    // Events after this one tell the new agent's registration from an old agent's.
    const since = (await client.events({ newest: true, limit: 1 }))[0]?.id ?? 0;
    const reg = await client.registerCluster({
      name: f.cluster,
      ...(f.label ? { labels: parseLabels(f.label) } : {}),
      ttlSeconds: Math.max(3600, Math.round(timeoutMs / 1000)),
    });
    const { input, objects } = await renderAgent(hub, { ...base, token: reg.token });
    const applied = await kube.apply(objects);
    this.note(`Applied ${applied.length} objects through context ${f.context}; waiting for the agent to register.`);
    const cluster = f['no-wait']
      ? await client.getCluster(f.cluster)
      : await waitRegistered(
          {
            cluster: () => client.getCluster(f.cluster),
            registeredSince: async () =>
              (await client.events({ after: since, kind: 'ClusterRegistered', cluster: f.cluster })).length > 0,
          },
          { cluster: f.cluster, namespace: input.namespace ?? 'flotilla-system', timeoutMs },
        );
    const result = {
      cluster: cluster.name,
      context: f.context,
      hubAddress: input.hubAddress,
      applied,
      condition: cluster.condition,
    };
    this.print(result, (r) =>
      details([
        ['Cluster', r.cluster],
        ['Context', r.context],
        ['Hub address', r.hubAddress],
        ['Applied', r.applied.join(', ')],
        ['Condition', r.condition],
      ]),
    );
    return result;
  }
}
