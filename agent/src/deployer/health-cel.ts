import { Script, createContext } from 'node:vm';
import type { ParseResult } from '@marcbachmann/cel-js';
import { CEL_LIMITS, HEALTH_CHECK_STEPS as STEPS, type HealthCheckRule } from '@flotilla/proto';
import { celEnvironment, celErrorText, celProblem } from '@flotilla/proto/runtime';
import { groupOf, isPlainObject, type KubeObject } from '../objects.js';
import type { CustomHealth } from './health.js';
import { failed, progress, ready, unknown, type HealthResult } from './health-status.js';

export { CEL_LIMITS } from '@flotilla/proto';
export { celProblem } from '@flotilla/proto/runtime';

/**
 * A health rule from configuration for one kind, as Flux's healthCheckExprs: CEL expressions over
 * the object (its top-level fields are the variables: `metadata`, `spec`, `status`...). They are
 * tried in the order inProgress, failed, current; the first that holds decides, and when none does
 * the object is InProgress. Empty expressions are skipped; `current` is required. The parse limits
 * are the hub's (proto/src/health-checks.ts); here an evaluation also stops at a time budget.
 */
export type HealthCheck = HealthCheckRule;

type Step = (typeof STEPS)[number];
type Compiled = { step: Step; source: string; run?: ParseResult; error?: string };

function compileStep(step: Step, source: string): Compiled {
  const problem = celProblem(source);
  return problem ? { step, source, error: problem } : { step, source, run: celEnvironment().parse(source) };
}

/** A rule's expressions, parsed once; `covers` says which objects it judges. */
class CompiledCheck {
  readonly group: string;
  private readonly steps: Compiled[];

  constructor(readonly check: HealthCheck) {
    this.group = groupOf(check.apiVersion);
    this.steps = STEPS.filter((s) => check[s] !== '').map((s) => compileStep(s, check[s]));
  }

  covers(o: KubeObject): boolean {
    return o.kind === this.check.kind && groupOf(o.apiVersion) === this.group;
  }

  judge(o: KubeObject): HealthResult {
    const name = `health check for ${this.check.kind}${this.group ? `.${this.group}` : ''}`;
    const broken = this.steps.find((s) => s.error);
    if (broken) return unknown(`${name}: ${broken.step}: ${broken.error}`);
    const vars = variables(o);
    let step: Compiled | undefined;
    try {
      const decided = withinBudget(() => {
        for (step of this.steps) {
          const v: unknown = step.run?.(vars);
          if (typeof v !== 'boolean') throw new TypeError(`returned ${describe(v)}, not a bool`);
          if (v) return step;
        }
        return undefined;
      });
      if (!decided) return progress(`not yet current: ${brief(this.check.current)}`);
      if (decided.step === 'current') return ready;
      const why = `${decided.step}: ${brief(decided.source)}`;
      return decided.step === 'failed' ? failed(why) : progress(why);
    } catch (err) {
      const what = (err as { code?: string }).code === TIMEOUT ? overBudget : celErrorText(err);
      return unknown(`${name}: ${step?.step ?? 'evaluation'}: ${what}`);
    }
  }
}

const TIMEOUT = 'ERR_SCRIPT_EXECUTION_TIMEOUT';
const overBudget = `evaluation stopped at its cost limit (${CEL_LIMITS.evaluationMs} ms)`;

/**
 * Runs `f` with a time budget. A vm script's timeout interrupts whatever JavaScript runs under it,
 * the CEL evaluator's loops and RegExps included: about 0.15 ms an object (a watchdog thread), against
 * ~2 µs per expression, and nothing else bounds a comprehension over a large list.
 */
const sandbox = createContext({ run: undefined as (() => unknown) | undefined });
const runScript = new Script('run()');
function withinBudget<T>(f: () => T): T {
  sandbox.run = f;
  try {
    return runScript.runInContext(sandbox, { timeout: CEL_LIMITS.evaluationMs }) as T;
  } finally {
    sandbox.run = undefined;
  }
}

/** JSON as CEL sees Kubernetes objects: integers are CEL ints (as in the apiserver's CEL), the rest as is. */
function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** The object's top-level fields; `spec` and `status` are there (empty) before anyone sets them. */
function variables(o: KubeObject): Record<string, unknown> {
  return toCel({ spec: {}, status: {}, ...o }) as Record<string, unknown>;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return 'an int';
  return Array.isArray(v) ? 'a list' : `a ${typeof v === 'object' ? 'map' : typeof v}`;
}

const brief = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}...` : s);

const compiledSets = new Map<string, CustomHealth | undefined>();

/**
 * The custom rules of a bundle as healthOf takes them: the first rule covering an object judges it.
 * Compiled once per distinct set (bundles share them, and each reconcile asks again).
 */
export function customHealth(checks: readonly HealthCheck[] | undefined): CustomHealth | undefined {
  if (!checks || checks.length === 0) return undefined;
  const key = JSON.stringify(checks);
  if (compiledSets.has(key)) return compiledSets.get(key);
  const compiled = checks.map((c) => new CompiledCheck(c));
  const custom: CustomHealth = (o) => compiled.find((c) => c.covers(o))?.judge(o);
  if (compiledSets.size >= 64) compiledSets.delete(compiledSets.keys().next().value as string);
  compiledSets.set(key, custom);
  return custom;
}
