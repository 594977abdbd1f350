import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { parseLabelPatch } from '../../parse.js';
import { clustersTable } from '../../views.js';

export default class ClustersLabel extends FleetCommand<typeof ClustersLabel> {
  static override summary = 'Set or remove labels on a cluster (key=value sets, key- removes).';
  static override description = `Groups and environments select clusters by label, so a label change can move a cluster into or out of environments. Needs the operator role.`;
  static override examples = [
    '<%= config.bin %> clusters label eu-1 env=prod region=eu',
    { description: 'Remove the label "canary"', command: '<%= config.bin %> clusters label eu-1 canary-' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ required: true, description: 'Cluster name.' }),
    labels: Args.string({ required: true, description: 'Label edits: key=value to set, key- to remove.' }),
  };

  async run() {
    const patch = parseLabelPatch(this.positionals.slice(1));
    const cluster = await this.client().labelCluster(this.args.name, patch);
    this.print(cluster, (c) => clustersTable([c]));
    return cluster;
  }
}
