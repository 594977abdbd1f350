import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { clustersTable } from '../../views.js';

export default class ClustersRevoke extends FleetCommand<typeof ClustersRevoke> {
  static override summary = "Revoke a cluster's agent credential: the agent is refused from now on.";
  static override description = `The cluster stays known to the hub (labels, history). Register it again to mint a new registration token for a reinstalled agent. Needs the admin role.`;
  static override examples = ['<%= config.bin %> clusters revoke eu-1'];
  static override args = { name: Args.string({ required: true, description: 'Cluster name.' }) };

  async run() {
    const cluster = await this.client().revokeCluster(this.args.name);
    this.print(cluster, (c) => clustersTable([c]));
    return cluster;
  }
}
