import { Args, Flags } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { parseDuration, parseKeyValues } from '../../parse.js';
import { repoDetail } from '../../views.js';

export default class ReposAdd extends FleetCommand<typeof ReposAdd> {
  static override summary = 'Add a Git repository for the hub to watch.';
  static override description = `The hub fetches it every poll interval, or at once on a signed push webhook (POST /api/v1/webhooks/<name>: GitHub, GitLab and Gitea webhooks as they are; a generic sender puts the unix time in X-Flotilla-Timestamp and HMAC-SHA256 of "<timestamp>.<body>" with the webhook secret in X-Flotilla-Signature). A delivery seen before is answered without a second fetch.

--auth gives credentials as key=value: username plus one of:
- tokenFile/passwordFile: the name of a file in the hub's repo secrets directory (--repo-secrets-dir, default <data-dir>/repo-secrets), e.g. tokenFile=github-token; not a path.
- tokenEnv/passwordEnv: a hub environment variable whose name starts with the hub's --repo-env-prefix (FLOTILLA_REPO_ by default), e.g. tokenEnv=FLOTILLA_REPO_GITHUB_TOKEN.
- token/password: the secret itself, sealed by the hub before it is stored (prefer the two above, which keep it out of shell history).

A URL holding credentials (https://user:token@host/...) is refused: give them with --auth. So is auth naming a variable the hub does not have, or a file not in its secrets directory. The hub then tries the URL once (up to 10 s): a repo it cannot reach is added all the same, with a warning and its error shown by \`fleet repos get\`, and fetched every poll interval. Needs the admin role.`;
  static override examples = [
    '<%= config.bin %> repos add config https://git.example.com/platform/config.git',
    '<%= config.bin %> repos add config https://github.com/acme/config.git --auth username=x-access-token --auth tokenEnv=FLOTILLA_REPO_GITHUB_TOKEN --poll 1m --webhook-secret "$SECRET"',
    '<%= config.bin %> repos add config https://git.example.com/platform/config.git --auth username=bot --auth passwordFile=git-example',
  ];
  static override args = {
    name: Args.string({ required: true, description: 'Repo name (used by environments and targets).' }),
    url: Args.string({ required: true, description: 'http(s) clone URL, without credentials.' }),
  };
  static override flags = {
    poll: Flags.string({ summary: 'Poll interval (e.g. 30s, 5m).' }),
    auth: Flags.string({
      multiple: true,
      summary:
        "A credential setting key=value: username, tokenFile/passwordFile (a name in the hub's --repo-secrets-dir), tokenEnv/passwordEnv (a hub variable named with --repo-env-prefix, FLOTILLA_REPO_ by default), token/password (sealed).",
    }),
    'webhook-secret': Flags.string({
      summary: 'Shared secret for push webhooks, at least 16 characters (stored sealed, never shown).',
    }),
    'allow-host': Flags.string({
      multiple: true,
      summary:
        "A host this repo's renders may fetch Helm charts from (fleet.yaml helm.repo): a name, *.domain, IP or CIDR; none by default.",
    }),
  };

  async run() {
    const { poll, auth } = this.flags;
    const repo = await this.client().addRepo({
      name: this.args.name,
      url: this.args.url,
      ...(poll ? { pollIntervalSeconds: Math.max(1, Math.round(parseDuration(poll, '--poll') / 1000)) } : {}),
      ...(auth ? { auth: parseKeyValues(auth, '--auth') } : {}),
      ...(this.flags['webhook-secret'] ? { webhookSecret: this.flags['webhook-secret'] } : {}),
      ...(this.flags['allow-host'] ? { renderHosts: this.flags['allow-host'] } : {}),
    });
    this.print(repo, repoDetail);
    if (repo.state === 'Failed') {
      process.stderr.write(
        `Warning: the hub cannot reach repo ${repo.name} now: ${repo.error ?? 'no answer'}\n` +
          `Hint: it is added, and fetched every ${repo.pollIntervalSeconds}s; check its URL and credentials ` +
          `(fleet repos get ${repo.name})\n`,
      );
    }
    return repo;
  }
}
