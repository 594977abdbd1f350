import { Flags } from '@oclif/core';
import { API_STATES, type RetryRequested } from '@flotilla/proto/api';
import { FleetCommand } from '../../base.js';
import { table } from '../../format.js';

export default class DeploymentsRetry extends FleetCommand<typeof DeploymentsRetry> {
  static override summary = 'Apply deployments again now, skipping the backoff of a failed apply.';
  static override description = `An agent retries a failed apply on its own, 2 s after it failed, doubling to 5 min (\`deployments list\` shows the next attempt under RETRY). Once the cause is fixed in the cluster (a namespace created, a quota raised), this asks the agents to apply at once; the backoff starts over. Without --state, every matching deployment that is not Ready. An agent that is not connected applies when it reconnects. Needs the operator role.`;
  static override examples = [
    '<%= config.bin %> deployments retry --cluster eu-1',
    '<%= config.bin %> deployments retry --environment prod --target web',
    '<%= config.bin %> deployments retry --state ErrApplied',
  ];
  static override flags = {
    cluster: Flags.string({ char: 'c', summary: 'Only this cluster.' }),
    target: Flags.string({ char: 't', summary: 'Only this target.' }),
    environment: Flags.string({ char: 'e', summary: 'Only this environment.' }),
    state: Flags.option({ options: API_STATES, summary: 'Only deployments in this state (default: all but Ready).' })(),
  };

  async run() {
    const { cluster, target, environment, state } = this.flags;
    const items = await this.client().retryDeployments({ cluster, target, environment, state });
    this.print(items, retriedTable);
    return items;
  }
}

function retriedTable(items: readonly RetryRequested[]): string {
  const rows = table(
    items,
    [
      { header: 'cluster', value: (d) => d.cluster },
      { header: 'environment', value: (d) => d.environment },
      { header: 'target', value: (d) => d.target },
      { header: 'state', value: (d) => d.state },
      { header: 'agent', value: (d) => (d.connected ? 'connected: applying now' : 'not connected: on reconnect') },
    ],
    'Nothing to retry: no deployment matches (those Ready are left alone unless --state Ready).',
  );
  return items.length === 0 ? rows : `Asked to apply again: ${items.length}\n${rows}`;
}
