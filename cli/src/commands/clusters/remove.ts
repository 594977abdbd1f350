import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';

export default class ClustersRemove extends FleetCommand<typeof ClustersRemove> {
  static override summary = 'Remove a cluster from the hub; its agent is refused from then on.';
  static override description = `What the agent applied stays in the cluster. To stop an agent without forgetting the cluster, use \`fleet clusters revoke\`. Needs the admin role.`;
  static override examples = ['<%= config.bin %> clusters remove eu-1'];
  static override args = { name: Args.string({ required: true, description: 'Cluster name.' }) };

  async run() {
    await this.client().removeCluster(this.args.name);
    const result = { removed: this.args.name };
    this.print(result, () => `Removed cluster ${this.args.name}.`);
    return result;
  }
}
