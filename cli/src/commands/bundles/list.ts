import { FleetCommand } from '../../base.js';
import { bundlesTable } from '../../views.js';

export default class BundlesList extends FleetCommand<typeof BundlesList> {
  static override summary = 'List bundles, newest first, with the deployments that use each.';
  static override examples = ['<%= config.bin %> bundles list'];

  async run() {
    const items = await this.client().listBundles();
    this.print(items, bundlesTable);
    return items;
  }
}
