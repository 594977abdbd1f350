import { Args, Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { parseDuration, parseKeyValues } from '../../parse.js';
import { repoDetail } from '../../views.js';

export default class ReposAdd extends FleetCommand<typeof ReposAdd> {
  static override summary = 'Add a Git repository for the hub to watch.';
  static override description = `The hub fetches it every poll interval, or at once on a signed push webhook (POST /api/v1/webhooks/<name>, HMAC-SHA256 of the body with the webhook secret in X-Flotilla-Signature). --auth gives credentials as key=value: username plus tokenEnv/passwordEnv (an environment variable of the hub process) or tokenFile/passwordFile (a file the hub reads), or token/password themselves (sealed by the hub before it stores them; prefer the references, which keep secrets out of shell history). Needs the admin role.`;
  static override examples = [
    '<%= config.bin %> repos add config https://git.example.com/platform/config.git',
    '<%= config.bin %> repos add config https://github.com/acme/config.git --auth username=x-access-token --auth tokenEnv=GITHUB_TOKEN --poll 1m --webhook-secret "$SECRET"',
  ];
  static override args = {
    name: Args.string({ required: true, description: 'Repo name (used by environments and targets).' }),
    url: Args.string({ required: true, description: 'http(s) clone URL.' }),
  };
  static override flags = {
    poll: Flags.string({ summary: 'Poll interval (e.g. 30s, 5m).' }),
    auth: Flags.string({
      multiple: true,
      summary:
        'A credential setting key=value (username, tokenEnv, passwordEnv, tokenFile, passwordFile, token, password).',
    }),
    'webhook-secret': Flags.string({ summary: 'Shared secret for push webhooks (stored sealed, never shown).' }),
  };

  async run() {
    const { poll, auth } = this.flags;
    const repo = await this.client().addRepo({
      name: this.args.name,
      url: this.args.url,
      ...(poll ? { pollIntervalSeconds: Math.max(1, Math.round(parseDuration(poll, '--poll') / 1000)) } : {}),
      ...(auth ? { auth: parseKeyValues(auth, '--auth') } : {}),
      ...(this.flags['webhook-secret'] ? { webhookSecret: this.flags['webhook-secret'] } : {}),
    });
    this.print(repo, repoDetail);
    return repo;
  }
}
