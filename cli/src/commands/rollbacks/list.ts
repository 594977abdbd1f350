import { FleetCommand } from '../../base.js';
import { rollbacksTable } from '../../audit-views.js';

export default class RollbacksList extends FleetCommand<typeof RollbacksList> {
  static override summary = 'List rollbacks, newest first.';
  static override examples = ['<%= config.bin %> rollbacks list'];

  async run() {
    const items = await this.client().listRollbacks();
    this.print(items, rollbacksTable);
    return items;
  }
}
