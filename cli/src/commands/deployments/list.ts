import { Flags } from '@oclif/core';
import { API_STATES } from '@flotilla/proto/api';
import { FleetCommand } from '../../base.js';
import { deploymentsTable } from '../../views.js';

export default class DeploymentsList extends FleetCommand<typeof DeploymentsList> {
  static override summary = 'List deployments (cluster × target), worst state first.';
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
