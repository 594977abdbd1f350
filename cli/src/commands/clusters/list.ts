import { FleetCommand } from '../../base.js';
import { clustersTable } from '../../views.js';

export default class ClustersList extends FleetCommand<typeof ClustersList> {
  static override summary = 'List clusters, worst state first.';
  static override examples = ['<%= config.bin %> clusters list', '<%= config.bin %> clusters list -o yaml'];

  async run() {
    const items = await this.client().listClusters();
    this.print(items, clustersTable);
    return items;
  }
}
