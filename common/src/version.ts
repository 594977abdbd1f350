import { createRequire } from 'node:module';

/**
 * The Flotilla release the hub, the agent and the CLI report (and whose agent image the CLI installs):
 * the version of this package, read from its package.json beside src/ and dist/ alike. The other
 * workspaces carry the same version (a test keeps them in step).
 */
export const FLOTILLA_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
