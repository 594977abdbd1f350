import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { environmentDetail } from '../../views.js';

export default class EnvironmentsGet extends FleetCommand<typeof EnvironmentsGet> {
  static override summary = 'Show an environment: branch, commit, clusters, where it promotes to.';
  static override examples = ['<%= config.bin %> environments get staging'];
  static override args = { name: Args.string({ required: true, description: 'Environment name.' }) };

  async run() {
    const env = await this.client().getEnvironment(this.args.name);
    this.print(env, environmentDetail);
    return env;
  }
}
