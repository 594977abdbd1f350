import { FleetCommand } from '../../base.js';
import { groupsTable } from '../../views.js';

export default class GroupsList extends FleetCommand<typeof GroupsList> {
  static override summary = 'List groups and how many clusters each selects now.';
  static override examples = ['<%= config.bin %> groups list'];

  async run() {
    const items = await this.client().listGroups();
    this.print(items, groupsTable);
    return items;
  }
}
