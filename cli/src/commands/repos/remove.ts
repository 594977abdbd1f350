import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';

export default class ReposRemove extends FleetCommand<typeof ReposRemove> {
  static override summary = 'Stop watching a repo.';
  static override description = `The hub refuses (exit code 5) while environments or targets use it. Needs the admin role.`;
  static override examples = ['<%= config.bin %> repos remove config'];
  static override args = { name: Args.string({ required: true, description: 'Repo name.' }) };

  async run() {
    await this.client().removeRepo(this.args.name);
    const result = { removed: this.args.name };
    this.print(result, () => `Removed repo ${this.args.name}.`);
    return result;
  }
}
