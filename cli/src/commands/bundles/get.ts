import { Args } from '@oclif/core';
import { FleetCommand } from '../../base.js';
import { bundleDetail } from '../../views.js';

export default class BundlesGet extends FleetCommand<typeof BundlesGet> {
  static override summary = 'Show a bundle: its objects and the deployments that use it.';
  static override examples = [
    '<%= config.bin %> bundles get sha256:3f2a…',
    '<%= config.bin %> bundles get 3f2a9c -o yaml',
  ];
  static override args = { digest: Args.string({ required: true, description: 'Bundle digest (sha256:…).' }) };

  async run() {
    const bundle = await this.client().getBundle(this.args.digest.replace(/^sha256:/, ''));
    this.print(bundle, bundleDetail);
    return bundle;
  }
}
