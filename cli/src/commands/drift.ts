import { Flags } from '@oclif/core';
import { FleetCommand } from '../base.js';
import { driftTable } from '../audit-views.js';

export default class Drift extends FleetCommand<typeof Drift> {
  static override summary = 'Show live objects that differ from Git: which fields, who changed them, and when.';
  static override description = `By default only current drift (detected and not yet corrected). With --history, corrected drift too. The manager is the managedFields manager that made the change.`;
  static override examples = ['<%= config.bin %> drift', '<%= config.bin %> drift --cluster eu-1 --history'];
  static override flags = {
    cluster: Flags.string({ char: 'c', summary: 'Only this cluster.' }),
    history: Flags.boolean({ summary: 'Include drift that has been corrected.' }),
  };

  async run() {
    const items = await this.client().drift({ cluster: this.flags.cluster, history: this.flags.history });
    this.print(items, driftTable);
    return items;
  }
}
