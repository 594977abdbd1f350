import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { mergeValues, type TargetHelmOptions } from '@flotilla/proto/api';
import { FleetCommand } from '../../base.js';
import { UsageError } from '../../errors.js';
import { parseOptions, parseSetValues, parseValuesFile } from '../../parse.js';
import { targetDetail } from '../../views.js';

/** Helm values from local files (in order), then `--set` over them; repo values files as given. */
function helmOptions(files: readonly string[], sets: readonly string[], repoFiles: readonly string[]) {
  const layers = files.map((name) => {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch (error) {
      throw new UsageError(`--values-file ${name}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
    return parseValuesFile(text, name);
  });
  const values = [...layers, parseSetValues(sets)].reduce<unknown>((out, layer) => mergeValues(out, layer), {});
  const helm: TargetHelmOptions = {
    ...(files.length + sets.length > 0 ? { values: values as Record<string, unknown> } : {}),
    ...(repoFiles.length > 0 ? { valuesFiles: [...repoFiles] } : {}),
  };
  return Object.keys(helm).length > 0 ? { helm } : {};
}

export default class TargetsAdd extends FleetCommand<typeof TargetsAdd> {
  static override summary = 'Add a target: a path in a repo, deployed to one or more environments.';
  static override description = `The hub renders the path (plain YAML, Kustomize or Helm; fleet.yaml compatible) for every cluster of each environment. Deployment options are key=value and decide over fleet.yaml: selfHeal (correct drift; default true) and prune (delete what left Git; default true). For a Helm chart, --values-file (a local YAML file, read here and stored with the target) and --set give Helm values, and --repo-values-file names values files in the repo; they go over fleet.yaml's: values files after fleet.yaml's and its customization's, inline values over theirs, cluster labels substituted (docs/fleet-yaml.md). Needs the admin role; the hub refuses (exit code 5) when it exists.`;
  static override examples = [
    '<%= config.bin %> targets add web --repo config --path apps/web --environment dev --environment staging --environment prod',
    '<%= config.bin %> targets add db --repo config --path apps/db -e prod --option selfHeal=false',
    '<%= config.bin %> targets add shop --repo config --path charts/shop -e prod --values-file prod.yaml --set image.tag=1.4.2 --repo-values-file values-eu.yaml',
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
    'values-file': Flags.string({
      multiple: true,
      summary: 'A local YAML file of Helm values, stored with the target (repeat; later files win).',
    }),
    set: Flags.string({
      multiple: true,
      summary: 'A Helm value key=value, over the values files (repeat; dotted keys nest: image.tag=1.2).',
    }),
    'repo-values-file': Flags.string({
      multiple: true,
      summary: "A Helm values file in the repo, relative to --path, after fleet.yaml's (repeat).",
    }),
  };

  async run() {
    const f = this.flags;
    const options = {
      ...(f.option ? parseOptions(f.option) : {}),
      ...helmOptions(f['values-file'] ?? [], f.set ?? [], f['repo-values-file'] ?? []),
    };
    const target = await this.client().addTarget({
      name: this.args.name,
      repo: f.repo,
      path: f.path,
      environments: f.environment.flatMap((e) => e.split(',')).filter(Boolean),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    });
    this.print(target, targetDetail);
    return target;
  }
}
