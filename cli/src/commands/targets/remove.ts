import { Args, Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { removalText } from '../../views.js';

export default class TargetsRemove extends FleetCommand<typeof TargetsRemove> {
  static override summary = 'Remove a target: its objects are deleted from every cluster, or left with --orphan.';
  static override description = `Prints what goes where: each cluster with its environment and object count. The hub removes the target's deployments at once and tells the agents, which prune its objects within seconds (objects another target holds, and those marked flotilla.dev/prune: disabled, stay; so does everything when the target's prune option is off). With --orphan the objects stay on the clusters and the agents forget them (they drop them from their inventories). --dry-run prints the same account and removes nothing. Needs the admin role.`;
  static override examples = [
    '<%= config.bin %> targets remove web',
    '<%= config.bin %> targets remove web --dry-run',
    '<%= config.bin %> targets remove legacy --orphan',
  ];
  static override args = { name: Args.string({ required: true, description: 'Target name.' }) };
  static override flags = {
    orphan: Flags.boolean({ summary: 'Leave its objects on the clusters; the agents forget them.' }),
    'dry-run': Flags.boolean({ summary: 'Print what would be deleted where; remove nothing.' }),
  };

  async run() {
    const { orphan, 'dry-run': dryRun } = this.flags;
    const result = await this.client().removeTarget(this.args.name, { orphan, dryRun });
    this.print(result, () => removalText(result, dryRun));
    return result;
  }
}
