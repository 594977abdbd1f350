import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { clusterDetail } from '../../views.js';

export default class ClustersGet extends FleetCommand<typeof ClustersGet> {
  static override summary = 'Show one cluster: labels, groups, environments and its deployments.';
  static override examples = ['<%= config.bin %> clusters get eu-1'];
  static override args = { name: Args.string({ required: true, description: 'Cluster name.' }) };

  async run() {
    const cluster = await this.client().getCluster(this.args.name);
    this.print(cluster, clusterDetail);
    return cluster;
  }
}
