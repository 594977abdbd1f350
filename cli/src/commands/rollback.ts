import { Args, Flags } from '@oclif/core';
import type { Rollback as RollbackRecord } from '@flotilla/proto/api';
import { FleetCommand } from '../base.js';
import { parseDuration } from '../parse.js';
import { rollbackText } from '../audit-views.js';
import { waitForRollout, type RolloutProgress } from '../wait.js';

export default class Rollback extends FleetCommand<typeof Rollback> {
  static override summary = 'Roll an environment back: a revert commit on its branch, rolled out like any commit.';
  static override description = `By default restores the tree of the branch head's parent; --to restores the tree of an earlier commit of the branch. The new commit is pushed and recorded with who asked. With --wait, returns once every deployment of the environment is Ready at the new commit (exit code 6 when --timeout passes first). Needs the operator role.`;
  static override examples = ['<%= config.bin %> rollback prod', '<%= config.bin %> rollback prod --to 3f2a9c1 --wait'];
  static override args = {
    environment: Args.string({ required: true, description: 'The environment to roll back.' }),
  };
  static override flags = {
    to: Flags.string({ summary: 'The commit whose tree to restore (an ancestor of the branch head).' }),
    wait: Flags.boolean({ char: 'w', summary: 'Wait until the environment is Ready at the new commit.' }),
    timeout: Flags.string({ summary: 'How long --wait waits (e.g. 90s, 10m).', default: '10m' }),
  };

  async run(): Promise<RollbackRecord & { rollout?: RolloutProgress }> {
    const client = this.client();
    const timeoutMs = parseDuration(this.flags.timeout, '--timeout');
    const rollback = await client.rollback({
      environment: this.args.environment,
      ...(this.flags.to ? { to: this.flags.to } : {}),
    });
    if (!this.flags.wait) {
      this.print(rollback, rollbackText);
      return rollback;
    }
    this.note(rollbackText(rollback));
    const rollout = await waitForRollout(
      {
        status: (env) => client.status(env),
        onProgress: (p) => this.note(`${p.environment}: ${p.done}/${p.total} ready`),
      },
      { environment: rollback.environment, commit: rollback.commit, timeoutMs },
    );
    const result = { ...rollback, rollout };
    this.print(
      result,
      (r) => `${rollbackText(r)}\n${r.environment} is Ready at ${r.commit.slice(0, 7)} (${rollout.total} deployments).`,
    );
    return result;
  }
}
