import { FleetCommand } from '../../base.js';
import { targetsTable } from '../../views.js';

export default class TargetsList extends FleetCommand<typeof TargetsList> {
  static override summary = 'List targets and the environments where their last render failed.';
  static override examples = ['<%= config.bin %> targets list'];

  async run() {
    const items = await this.client().listTargets();
    this.print(items, targetsTable);
    return items;
  }
}
