import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';

export default class EnvironmentsRemove extends FleetCommand<typeof EnvironmentsRemove> {
  static override summary = 'Remove an environment.';
  static override description = `The hub refuses (exit code 5) while targets deploy to it: remove them from it first. Needs the admin role.`;
  static override examples = ['<%= config.bin %> environments remove dev'];
  static override args = { name: Args.string({ required: true, description: 'Environment name.' }) };

  async run() {
    await this.client().removeEnvironment(this.args.name);
    const result = { removed: this.args.name };
    this.print(result, () => `Removed environment ${this.args.name}.`);
    return result;
  }
}
