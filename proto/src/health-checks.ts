/**
 * Custom health rules (BundleOptions.health_checks): CEL expressions over an object, per API group
 * and kind. The hub checks them when they are set, the agent evaluates them; both parse with the
 * environment and limits defined here.
 */
export interface HealthCheckRule {
  /** Its group decides which objects the rule covers, in any version. */
  apiVersion: string;
  kind: string;
  current: string;
  inProgress: string;
  failed: string;
}

/**
 * What one evaluation may cost. CEL has no loops, but comprehensions nest over an object's lists
 * (n^k steps) and `matches` runs a backtracking RegExp: the parse limits bound the expression, and
 * the agent stops an evaluation past the time budget.
 */
export const CEL_LIMITS = {
  maxExpressionLength: 4096,
  maxAstNodes: 500,
  maxDepth: 32,
  /** Per object, all of its rule's expressions together. */
  evaluationMs: 100,
  maxRules: 64,
} as const;

export const HEALTH_CHECK_STEPS = ['inProgress', 'failed', 'current'] as const;
