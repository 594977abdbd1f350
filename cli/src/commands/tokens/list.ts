import { FleetCommand } from '../../base.js';
import { tokensTable } from '../../audit-views.js';

export default class TokensList extends FleetCommand<typeof TokensList> {
  static override summary = 'List API tokens (never their secrets). Needs the admin role.';
  static override examples = ['<%= config.bin %> tokens list'];

  async run() {
    const items = await this.client().listTokens();
    this.print(items, tokensTable);
    return items;
  }
}
