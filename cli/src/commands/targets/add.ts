import { Args, Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { parseOptions } from '../../parse.js';
import { targetDetail } from '../../views.js';

export default class TargetsAdd extends FleetCommand<typeof TargetsAdd> {
  static override summary = 'Add a target: a path in a repo, deployed to one or more environments.';
  static override description = `The hub renders the path (plain YAML, Kustomize or Helm; fleet.yaml compatible) for every cluster of each environment. Deployment options are key=value and decide over fleet.yaml: selfHeal (correct drift; default true) and prune (delete what left Git; default true). Needs the admin role; the hub refuses (exit code 5) when it exists.`;
  static override examples = [
    '<%= config.bin %> targets add web --repo config --path apps/web --environment dev --environment staging --environment prod',
    '<%= config.bin %> targets add db --repo config --path apps/db -e prod --option selfHeal=false',
  ];
  static override args = { name: Args.string({ required: true, description: 'Target name.' }) };
  static override flags = {
    repo: Flags.string({ char: 'r', required: true, summary: 'The repo holding the path.' }),
    path: Flags.string({ char: 'p', required: true, summary: 'The path in the repo.' }),
    environment: Flags.string({
      char: 'e',
      multiple: true,
      required: true,
      summary: 'An environment to deploy to (repeat for several).',
    }),
    option: Flags.string({ multiple: true, summary: 'A deployment option key=value (repeat).' }),
  };

  async run() {
    const f = this.flags;
    const target = await this.client().addTarget({
      name: this.args.name,
      repo: f.repo,
      path: f.path,
      environments: f.environment.flatMap((e) => e.split(',')).filter(Boolean),
      ...(f.option ? { options: parseOptions(f.option) } : {}),
    });
    this.print(target, targetDetail);
    return target;
  }
}
