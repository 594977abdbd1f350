import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { repoDetail } from '../../views.js';

export default class ReposAllowHosts extends FleetCommand<typeof ReposAllowHosts> {
  static override summary = "Set the hosts a repo's renders may fetch Helm charts from.";
  static override description = `A fleet.yaml whose helm.repo names a chart repository is rendered only when its host is listed here: the hub fetches the chart itself (helm runs with no network), checking every address it connects to, redirects included. Entries are host names, *.domain wildcards, IP addresses and CIDRs. A name that resolves to a loopback, link-local or private address is refused unless that address (or a CIDR holding it) is listed too. The list replaces the previous one; no hosts: none allowed (the default). Needs the admin role.`;
  static override examples = [
    '<%= config.bin %> repos allow-hosts config charts.bitnami.com *.github.io',
    '<%= config.bin %> repos allow-hosts config charts.internal 10.20.0.0/16',
    '<%= config.bin %> repos allow-hosts config   # none again',
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ required: true, description: 'Repo name.' }),
    hosts: Args.string({ required: false, description: 'Hosts, *.domains, IPs or CIDRs (any number).' }),
  };

  async run() {
    const [, ...hosts] = this.positionals;
    const repo = await this.client().setRenderHosts(this.args.name, hosts);
    this.print(repo, repoDetail);
    return repo;
  }
}
