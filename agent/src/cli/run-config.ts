import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './args.js';

/**
 * The cluster `flotilla-agent run` manages, as kubectl would pick it: --context alone means a context
 * of ~/.kube/config; with no kubeconfig at all the agent must be in a pod. Outside one, say what to give
 * rather than fail on the missing service account.
 */
export function withKubeDefaults<T extends { kubeconfig?: string; context?: string }>(
  cfg: T,
  env: NodeJS.ProcessEnv,
  home = homedir(),
): T {
  if (cfg.kubeconfig) return cfg;
  if (cfg.context) return { ...cfg, kubeconfig: join(home, '.kube', 'config') };
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return cfg;
  throw new UsageError(
    'no cluster to manage: outside a pod, give --kubeconfig FILE (or KUBECONFIG) and --context NAME ' +
      '(README: "Running the agent as a process"); in a pod the agent uses its service account',
  );
}
