/**
 * The deployment: one target of one environment on one cluster, the unit the hub decides (targeting),
 * stores, announces to the agent, and reports on (API, CLI). "Bundle" names only what it runs: the
 * rendered objects, addressed by their digest.
 */
export interface DeploymentKey {
  cluster: string;
  environment: string;
  target: string;
}

/** The longest deployment id taken from a peer (an agent's report), well above two names of 63. */
export const MAX_DEPLOYMENT_ID = 1024;

/**
 * A cluster's deployment as one string, `environment/target`: how the wire (DeploymentRef,
 * DeploymentStatus, DriftReport), the agent and its in-cluster inventories name it. The form is part
 * of the agents' stored state (an inventory's name hashes it), so it never changes.
 */
export const deploymentId = (environment: string, target: string): string => `${environment}/${target}`;

/**
 * A deployment across the fleet as one string, `cluster/environment/target`, for maps and sets (names
 * hold no `/`: the API's name pattern and the cluster name rule exclude it).
 */
export const deploymentKeyOf = (k: DeploymentKey): string => `${k.cluster}/${deploymentId(k.environment, k.target)}`;

// Whitespace, control characters (C0, DEL, C1) and the Unicode line separators: never in a name.
// eslint-disable-next-line no-control-regex
const NOT_IN_ID = /[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * The environment and target of a deployment id, or undefined when `id` is not one: exactly one `/`
 * between two non-empty names, no whitespace or control characters, at most {@link MAX_DEPLOYMENT_ID}
 * characters. Ids come from agents, so nothing else is taken.
 */
export function parseDeploymentId(id: string): { environment: string; target: string } | undefined {
  if (id.length > MAX_DEPLOYMENT_ID || NOT_IN_ID.test(id)) return undefined;
  const i = id.indexOf('/');
  if (i <= 0 || i === id.length - 1 || id.includes('/', i + 1)) return undefined;
  return { environment: id.slice(0, i), target: id.slice(i + 1) };
}
