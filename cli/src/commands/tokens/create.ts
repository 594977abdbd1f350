import { Args, Flags } from '@oclif/core';
import { API_ROLES } from '@flotilla/proto/api';
import { FleetCommand } from '../../base.js';
import { details } from '../../format.js';
import { parseDuration } from '../../parse.js';

export default class TokensCreate extends FleetCommand<typeof TokensCreate> {
  static override summary = 'Create an API token for a person or a pipeline.';
  static override description = `Roles, each allowed what the ones before it are: viewer (read), operator (register and label clusters, sync repos, promote, roll back), admin (groups, repos, environments, targets, tokens, revoking and removing clusters). The token is shown once; the hub keeps only its hash. Needs the admin role.`;
  static override examples = [
    '<%= config.bin %> tokens create ci --role operator --ttl 90d',
    {
      description: 'Only the token, for a secret store',
      command: '<%= config.bin %> tokens create dashboard --role viewer -o json | jq -r .token',
    },
  ];
  static override args = { name: Args.string({ required: true, description: 'Token name (who or what uses it).' }) };
  static override flags = {
    role: Flags.option({ options: API_ROLES, required: true, summary: 'The role it grants.' })(),
    ttl: Flags.string({ summary: 'Expire after this long (e.g. 12h, 90d); default: never.' }),
  };

  async run() {
    const { role, ttl } = this.flags;
    const created = await this.client().createToken({
      name: this.args.name,
      role,
      ...(ttl ? { ttlSeconds: Math.max(1, Math.round(parseDuration(ttl, '--ttl') / 1000)) } : {}),
    });
    this.print(created, (t) =>
      [
        details([
          ['Name', t.name],
          ['Role', t.role],
          ['Expires', t.expiresAt ?? 'never'],
          ['Token', t.token],
        ]),
        '',
        'The token is shown once. Use it with `fleet login --token-stdin`, or as FLOTILLA_TOKEN.',
      ].join('\n'),
    );
    return created;
  }
}
