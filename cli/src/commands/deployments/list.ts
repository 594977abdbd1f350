import { Flags } from '@oclif/core';
import { API_STATES, NOT_READY_LISTED } from '@flotilla/proto/api';
import { FleetCommand } from '../../base.js';
import { deploymentsTable } from '../../views.js';

export default class DeploymentsList extends FleetCommand<typeof DeploymentsList> {
  static override summary = 'List deployments (cluster × target), worst state first.';
  static override description = `READY counts a deployment's objects, ready of all, as its agent last reported them (- until it reports on the current generation). Below the table, the objects that hold deployments back, worst first, up to ${NOT_READY_LISTED} per deployment: the state each pulls its deployment towards (ErrApplied: the apiserver refused it; Modified: drifted; Pending, NotReady: by its health), its health, and why.`;
  static override examples = [
    '<%= config.bin %> deployments list --environment prod',
    '<%= config.bin %> deployments list --state ErrApplied',
  ];
  static override flags = {
    cluster: Flags.string({ char: 'c', summary: 'Only this cluster.' }),
    target: Flags.string({ char: 't', summary: 'Only this target.' }),
    environment: Flags.string({ char: 'e', summary: 'Only this environment.' }),
    state: Flags.option({ options: API_STATES, summary: 'Only deployments in this state.' })(),
  };

  async run() {
    const { cluster, target, environment, state } = this.flags;
    const items = await this.client().listDeployments({ cluster, target, environment, state });
    this.print(items, deploymentsTable);
    return items;
  }
}
