import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { targetDetail } from '../../views.js';

export default class TargetsGet extends FleetCommand<typeof TargetsGet> {
  static override summary =
    'Show a target and its render per environment (with the error, file and line, when one failed).';
  static override examples = ['<%= config.bin %> targets get web'];
  static override args = { name: Args.string({ required: true, description: 'Target name.' }) };

  async run() {
    const target = await this.client().getTarget(this.args.name);
    this.print(target, targetDetail);
    return target;
  }
}
