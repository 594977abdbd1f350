import { Flags } from '@oclif/core';
import { PAGE_LIMITS } from '@flotilla/proto/api';
import { FleetCommand } from '../base.js';
import { driftTable } from '../audit-views.js';
import { collectPages } from '../pages.js';

export default class Drift extends FleetCommand<typeof Drift> {
  static override summary = 'Show live objects that differ from Git: which fields, who changed them, and when.';
  static override description = `By default only current drift (detected and not yet corrected). With --history, corrected drift too. The manager is the managedFields manager that made the change.

DETECTED and CORRECTED count from when the agent saw and corrected the drift, by its clock (never later than the hub heard of it): an agent that lost the hub corrects drift alone and reports it when it is back. -o json also gives changedAt (from managedFields) and reportedAt (when the hub received the report).

The newest --limit items are shown (the hub serves them a page at a time); a note on stderr says when there are more.`;
  static override examples = [
    '<%= config.bin %> drift',
    '<%= config.bin %> drift --cluster eu-1 --history',
    '<%= config.bin %> drift --history --limit 5000',
  ];
  static override flags = {
    cluster: Flags.string({ char: 'c', summary: 'Only this cluster.' }),
    history: Flags.boolean({ summary: 'Include drift that has been corrected.' }),
    limit: Flags.integer({ char: 'n', summary: 'At most this many items, the newest. Default 1000.', min: 1 }),
  };

  async run() {
    const { cluster, history } = this.flags;
    const limit = this.flags.limit ?? 1000;
    const { items, more } = await collectPages(
      (next) => this.client().drift({ cluster, history, limit: Math.min(limit, PAGE_LIMITS.max), ...next }),
      limit,
      'back',
    );
    if (more) this.warn(`showing the newest ${items.length} items; there is more (--limit)`);
    this.print(items, driftTable);
    return items;
  }
}
