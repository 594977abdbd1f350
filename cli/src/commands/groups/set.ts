import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { groupDetail } from '../../views.js';

export default class GroupsSet extends FleetCommand<typeof GroupsSet> {
  static override summary = 'Create a group, or change its selector.';
  static override description = `A selector is a comma-separated list of label requirements that must all hold: key=value, key!=value, key (exists), !key (absent), key in (a,b), key notin (a,b). Needs the admin role.`;
  static override examples = [
    '<%= config.bin %> groups set prod-eu env=prod,region=eu',
    "<%= config.bin %> groups set canary 'env=prod,tier in (canary,edge)'",
  ];
  static override args = {
    name: Args.string({ required: true, description: 'Group name.' }),
    selector: Args.string({ required: true, description: 'Label selector, e.g. env=prod,region=eu.' }),
  };

  async run() {
    const group = await this.client().setGroup(this.args.name, this.args.selector);
    this.print(group, groupDetail);
    return group;
  }
}
