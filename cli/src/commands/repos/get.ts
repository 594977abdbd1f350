import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { repoDetail } from '../../views.js';

export default class ReposGet extends FleetCommand<typeof ReposGet> {
  static override summary = 'Show a repo and the branches the hub fetches from it.';
  static override examples = ['<%= config.bin %> repos get config'];
  static override args = { name: Args.string({ required: true, description: 'Repo name.' }) };

  async run() {
    const repo = await this.client().getRepo(this.args.name);
    this.print(repo, repoDetail);
    return repo;
  }
}
