import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';

export default class TargetsRemove extends FleetCommand<typeof TargetsRemove> {
  static override summary = 'Remove a target.';
  static override description = `Needs the admin role.`;
  static override examples = ['<%= config.bin %> targets remove web'];
  static override args = { name: Args.string({ required: true, description: 'Target name.' }) };

  async run() {
    await this.client().removeTarget(this.args.name);
    const result = { removed: this.args.name };
    this.print(result, () => `Removed target ${this.args.name}.`);
    return result;
  }
}
