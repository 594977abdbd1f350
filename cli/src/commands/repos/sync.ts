import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';

export default class ReposSync extends FleetCommand<typeof ReposSync> {
  static override summary = 'Fetch a repo now instead of at the next poll.';
  static override description = `The fetch runs in the background; watch it with \`fleet repos get\` or \`fleet events --follow\`. Needs the operator role.`;
  static override examples = ['<%= config.bin %> repos sync config'];
  static override args = { name: Args.string({ required: true, description: 'Repo name.' }) };

  async run() {
    await this.client().syncRepo(this.args.name);
    const result = { repo: this.args.name, sync: 'requested' };
    this.print(result, () => `Fetch of repo ${this.args.name} requested.`);
    return result;
  }
}
