import { Args, Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { details } from '../../format.js';
import { parseDuration, parseLabels } from '../../parse.js';

export default class ClustersRegister extends FleetCommand<typeof ClustersRegister> {
  static override summary = 'Register a cluster: mint a one-time registration token for its agent.';
  static override description = `The token is shown once; the hub keeps only its hash. The agent trades it for a per-cluster credential when it first connects. A new cluster needs the operator role. Registering an existing or revoked cluster again mints a new token whose credential replaces its agent's (to reinstall it) and lifts a revocation: that needs the admin role.

Names are DNS-1123 labels (at most 63 lowercase letters, digits and '-'); labels follow Kubernetes' syntax. A cluster's labels come from here and \`fleet clusters label\`, never from its agent.

To install the agent in one step instead, use \`fleet agent install\`. On a cluster that cannot run the agent's image (a simulated cluster with no container runtime), run the agent as a process: the output ends with the \`flotilla-agent run\` command line (token, hub address and the hash of the hub's CA filled in); see \`flotilla-agent run --help\`.`;
  static override examples = [
    '<%= config.bin %> clusters register eu-1 --label env=prod --label region=eu',
    {
      description: 'Only the token, for a script',
      command: 'TOKEN=$(<%= config.bin %> clusters register eu-1 -o json | jq -r .token)',
    },
  ];
  static override args = { name: Args.string({ required: true, description: 'Cluster name.' }) };
  static override flags = {
    label: Flags.string({ char: 'l', multiple: true, summary: 'A label key=value (repeat, or comma-separate).' }),
    ttl: Flags.string({ summary: 'How long the token stays valid (e.g. 30m, 2h).', default: '1h' }),
  };

  async run() {
    const client = this.client();
    const registered = await client.registerCluster({
      name: this.args.name,
      ...(this.flags.label ? { labels: parseLabels(this.flags.label) } : {}),
      ttlSeconds: Math.max(1, Math.round(parseDuration(this.flags.ttl, '--ttl') / 1000)),
    });
    // The CA pin completes what an agent run as a process needs; the token is worth showing without it.
    const { caFingerprint } = await client.hubInfo().catch(() => ({ caFingerprint: undefined }));
    const res = { ...registered, ...(caFingerprint ? { caFingerprint } : {}) };
    this.print(res, (r) =>
      [
        details([
          ['Cluster', r.cluster],
          ['Token', r.token],
          ['Expires', r.expiresAt],
          ['Hub address', r.hubAddress],
          ['Hub CA hash', r.caFingerprint],
        ]),
        '',
        'The token is shown once and works once. Install the agent with it (`fleet agent install` does it all),',
        'or run the agent as a process against a kube context (README: "Running the agent as a process"):',
        `  flotilla-agent run --cluster ${r.cluster} --hub ${r.hubAddress ?? '<host:port>'}` +
          `${r.caFingerprint ? ` --hub-ca-hash ${r.caFingerprint}` : ''} --token ${r.token} \\`,
        `    --kubeconfig ~/.kube/config --context <context> --state-dir <a directory for ${r.cluster}>`,
      ].join('\n'),
    );
    return res;
  }
}
