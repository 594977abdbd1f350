import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { groupDetail } from '../../views.js';

export default class GroupsGet extends FleetCommand<typeof GroupsGet> {
  static override summary = 'Show a group: its selector and the clusters it selects now.';
  static override examples = ['<%= config.bin %> groups get prod-eu'];
  static override args = { name: Args.string({ required: true, description: 'Group name.' }) };

  async run() {
    const group = await this.client().getGroup(this.args.name);
    this.print(group, groupDetail);
    return group;
  }
}
