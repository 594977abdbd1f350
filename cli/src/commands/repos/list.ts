import { FleetCommand } from '../../base.js';
import { reposTable } from '../../views.js';

export default class ReposList extends FleetCommand<typeof ReposList> {
  static override summary = 'List repos: URL, poll interval, the commit of each branch and the last fetch error.';
  static override examples = ['<%= config.bin %> repos list'];

  async run() {
    const items = await this.client().listRepos();
    this.print(items, reposTable);
    return items;
  }
}
