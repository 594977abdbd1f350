import { Environment } from '@marcbachmann/cel-js';
import { CEL_LIMITS, HEALTH_CHECK_STEPS, type HealthCheckRule } from './health-checks.js';

let env: Environment | undefined;

/** The CEL environment rules run in: undeclared variables (the object's fields) are dynamic; `.?` works. */
export function celEnvironment(): Environment {
  env ??= new Environment({
    unlistedVariablesAreDyn: true,
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    limits: { maxAstNodes: CEL_LIMITS.maxAstNodes, maxDepth: CEL_LIMITS.maxDepth },
  });
  return env;
}

/** The first line of a CEL error (the rest is a caret under the expression). */
export function celErrorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]?.trim() ?? '';
}

/** What is wrong with one expression, or undefined when it parses within the limits. */
export function celProblem(expression: string): string | undefined {
  if (expression.length > CEL_LIMITS.maxExpressionLength) {
    return `longer than ${CEL_LIMITS.maxExpressionLength} characters`;
  }
  try {
    celEnvironment().parse(expression);
    return undefined;
  } catch (err) {
    return celErrorText(err);
  }
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/**
 * The problems of a list of rules, each naming its field (`healthChecks[1].current`): a missing
 * `current`, an expression that does not parse, two rules for one group and kind.
 */
export function healthCheckProblems(rules: readonly HealthCheckRule[]): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (rules.length > CEL_LIMITS.maxRules) {
    problems.push({ field: 'healthChecks', message: `more than ${CEL_LIMITS.maxRules} rules` });
  }
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const at = `healthChecks[${i}]`;
    if (!r.apiVersion) problems.push({ field: `${at}.apiVersion`, message: 'is required' });
    if (!r.kind) problems.push({ field: `${at}.kind`, message: 'is required' });
    if (!r.current) problems.push({ field: `${at}.current`, message: 'is required' });
    const key = `${groupOf(r.apiVersion)}/${r.kind}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ field: at, message: `${r.kind} (${r.apiVersion}) already has a rule: healthChecks[${first}]` });
    } else seen.set(key, i);
    for (const step of HEALTH_CHECK_STEPS) {
      const problem = r[step] ? celProblem(r[step]) : undefined;
      if (problem) problems.push({ field: `${at}.${step}`, message: problem });
    }
  });
  return problems;
}
