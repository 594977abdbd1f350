import { FleetCommand } from '../../base.js';
import { environmentsTable } from '../../views.js';

export default class EnvironmentsList extends FleetCommand<typeof EnvironmentsList> {
  static override summary = 'List environments, worst state first.';
  static override examples = ['<%= config.bin %> environments list'];

  async run() {
    const items = await this.client().listEnvironments();
    this.print(items, environmentsTable);
    return items;
  }
}
