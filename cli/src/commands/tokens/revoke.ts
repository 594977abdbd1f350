import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';

export default class TokensRevoke extends FleetCommand<typeof TokensRevoke> {
  static override summary = 'Revoke an API token: it is refused from now on. Needs the admin role.';
  static override examples = ['<%= config.bin %> tokens revoke ci'];
  static override args = { name: Args.string({ required: true, description: 'Token name.' }) };

  async run() {
    await this.client().revokeToken(this.args.name);
    const result = { revoked: this.args.name };
    this.print(result, () => `Revoked token ${this.args.name}.`);
    return result;
  }
}
