import { Flags } from '@oclif/core';
import { FleetCommand } from '../base.js';
import { NotReadyError } from '../errors.js';
import { allReady, statusTable } from '../status-view.js';

export default class Status extends FleetCommand<typeof Status> {
  static override summary = 'Show environments × clusters, worst state first.';
  static override description = `One row per environment and cluster: its condition (Connected; Disconnected: heard lately but holding no connection to this hub now, as after a hub restart until its agent says hello; Stale: not heard for the stale window; NeverSeen; Revoked), its worst deployment state, the revision its targets run, and the first problem. States from worst to best: ErrApplied, WaitApplied, Modified, OutOfSync, Pending, NotReady, Ready.`;
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --environment prod',
    {
      description: 'Fail a pipeline step unless everything is Ready (exit code 6)',
      command: '<%= config.bin %> status --exit-status',
    },
  ];
  static override flags = {
    environment: Flags.string({ char: 'e', summary: 'Only this environment.' }),
    'exit-status': Flags.boolean({ summary: 'Exit with code 6 when anything is not Ready, or nothing is deployed.' }),
  };

  async run() {
    const view = await this.client().status(this.flags.environment);
    this.print(view, (v) => statusTable(v));
    if (this.flags['exit-status'] && !allReady(view)) {
      throw new NotReadyError(
        view.nothingDeployed !== undefined
          ? `nothing is deployed yet (${view.nothingDeployed})`
          : `the fleet is ${view.state}, not Ready`,
      );
    }
    return view;
  }
}
