import { Args, Flags } from '@oclif/core';
import type { Promotion } from '@flotilla/proto/api';
import { FleetCommand } from '../base.js';
import { parseDuration } from '../parse.js';
import { promotionText } from '../audit-views.js';
import { waitForRollout, type RolloutProgress } from '../wait.js';

export default class Promote extends FleetCommand<typeof Promote> {
  static override summary = "Promote an environment: merge its branch into the next environment's branch.";
  static override description = `The hub fast-forwards when it can and makes a merge commit otherwise, pushes, and records who promoted which commits. A merge conflict is refused (exit code 5) with the conflicting files listed. With --require-healthy the hub refuses (exit code 5) unless every deployment of <from> is Ready at the commit being promoted. With --wait, returns once every deployment of <to> is Ready at the promoted commit (exit code 6 when --timeout passes first). Needs the operator role.`;
  static override examples = [
    '<%= config.bin %> promote staging prod',
    '<%= config.bin %> promote staging prod --require-healthy --wait --timeout 15m',
  ];
  static override args = {
    from: Args.string({ required: true, description: 'The environment whose branch is promoted.' }),
    to: Args.string({ required: true, description: 'The environment that receives it.' }),
  };
  static override flags = {
    'require-healthy': Flags.boolean({ summary: 'Refuse unless <from> is Ready at the commit being promoted.' }),
    wait: Flags.boolean({ char: 'w', summary: 'Wait until <to> is Ready at the promoted commit.' }),
    timeout: Flags.string({ summary: 'How long --wait waits (e.g. 90s, 10m).', default: '10m' }),
  };

  async run(): Promise<Promotion & { rollout?: RolloutProgress }> {
    const client = this.client();
    const timeoutMs = parseDuration(this.flags.timeout, '--timeout');
    const promotion = await client.promote({
      from: this.args.from,
      to: this.args.to,
      ...(this.flags['require-healthy'] ? { requireHealthy: true } : {}),
    });
    if (!this.flags.wait) {
      this.print(promotion, promotionText);
      return promotion;
    }
    this.note(promotionText(promotion));
    const rollout = await waitForRollout(
      {
        status: (env) => client.status(env),
        onProgress: (p) => this.note(`${p.environment}: ${p.done}/${p.total} ready`),
      },
      { environment: promotion.to, commit: promotion.commit, timeoutMs },
    );
    const result = { ...promotion, rollout };
    this.print(
      result,
      (r) => `${promotionText(r)}\n${r.to} is Ready at ${r.commit.slice(0, 7)} (${rollout.total} deployments).`,
    );
    return result;
  }
}
