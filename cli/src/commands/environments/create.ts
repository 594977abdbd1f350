import { Args, Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { environmentDetail } from '../../views.js';

export default class EnvironmentsCreate extends FleetCommand<typeof EnvironmentsCreate> {
  static override summary = 'Create an environment: a branch of a repo deployed to a group of clusters.';
  static override description = `Clusters are chosen by a group (--group) or an inline label selector (--selector). --promotes-to names the next environment in the promotion chain (dev → staging → prod). Needs the admin role; the hub refuses (exit code 5) when it exists.`;
  static override examples = [
    '<%= config.bin %> environments create staging --repo config --branch staging --group staging --promotes-to prod',
    '<%= config.bin %> environments create dev --repo config --selector env=dev',
  ];
  static override args = { name: Args.string({ required: true, description: 'Environment name.' }) };
  static override flags = {
    repo: Flags.string({ char: 'r', required: true, summary: 'The repo it deploys from.' }),
    branch: Flags.string({ char: 'b', summary: 'The branch (default: the environment name).' }),
    group: Flags.string({ char: 'g', summary: 'The group of clusters it deploys to.', exclusive: ['selector'] }),
    selector: Flags.string({ char: 's', summary: 'Or a label selector for its clusters.' }),
    'promotes-to': Flags.string({ summary: 'The next environment in the promotion chain.' }),
  };

  async run() {
    const f = this.flags;
    const env = await this.client().createEnvironment({
      name: this.args.name,
      repo: f.repo,
      branch: f.branch ?? this.args.name,
      ...(f.group ? { group: f.group } : {}),
      ...(f.selector ? { selector: f.selector } : {}),
      ...(f['promotes-to'] ? { promotesTo: f['promotes-to'] } : {}),
    });
    const note = f.branch === undefined ? "the environment's name; give --branch to choose" : undefined;
    this.print(env, (e) => environmentDetail(e, note));
    return env;
  }
}
