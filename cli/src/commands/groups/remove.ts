import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';

export default class GroupsRemove extends FleetCommand<typeof GroupsRemove> {
  static override summary = 'Remove a group.';
  static override description = `Environments that select clusters through the group then select none. Needs the admin role.`;
  static override examples = ['<%= config.bin %> groups remove prod-eu'];
  static override args = { name: Args.string({ required: true, description: 'Group name.' }) };

  async run() {
    await this.client().removeGroup(this.args.name);
    const result = { removed: this.args.name };
    this.print(result, () => `Removed group ${this.args.name}.`);
    return result;
  }
}
