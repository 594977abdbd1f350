import { FleetCommand } from '../../base.js';
import { promotionsTable } from '../../audit-views.js';

export default class PromotionsList extends FleetCommand<typeof PromotionsList> {
  static override summary = 'List promotions, newest first: who promoted which commits from where to where.';
  static override examples = ['<%= config.bin %> promotions list'];

  async run() {
    const items = await this.client().listPromotions();
    this.print(items, promotionsTable);
    return items;
  }
}
