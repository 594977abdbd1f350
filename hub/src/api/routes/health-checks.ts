import type { FastifyInstance } from 'fastify';
import { CEL_LIMITS, healthCheckProblems, type HealthCheckRule } from '@flotilla/proto';
import type { TargetView } from '@flotilla/proto/api';
import type { JsonObject } from '../../store/index.js';
import { ApiError } from '../errors.js';
import { targetView } from '../views.js';
import { found, nameParams, type ApiDeps } from './shared.js';

type RuleInput = Pick<HealthCheckRule, 'apiVersion' | 'kind' | 'current'> & Partial<HealthCheckRule>;

const expression = { type: 'string', maxLength: CEL_LIMITS.maxExpressionLength } as const;

const ruleSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'current'],
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string', minLength: 1, maxLength: 253 },
    kind: { type: 'string', minLength: 1, maxLength: 63 },
    current: { ...expression, minLength: 1 },
    inProgress: expression,
    failed: expression,
  },
} as const;

/**
 * A target's custom health rules: CEL expressions per API group and kind, sent to its clusters'
 * agents with the desired state (docs/health.md). Checked here, so a rule that does not parse is
 * refused with its field rather than reported by every agent.
 */
export async function healthCheckRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.put<{ Params: { name: string }; Body: { healthChecks: RuleInput[] }; Reply: TargetView }>(
    '/targets/:name/health-checks',
    {
      config: { role: 'admin' },
      schema: {
        summary: "Set a target's custom health rules (the whole list; empty: none)",
        description:
          'Per API group and kind (any version), CEL expressions over the object: `inProgress`, `failed`, ' +
          '`current`, tried in that order, the first true deciding (none: InProgress). They replace the ' +
          "agent's built-in rules for that kind. See docs/health.md.",
        tags: ['targets'],
        params: nameParams,
        body: {
          type: 'object',
          required: ['healthChecks'],
          additionalProperties: false,
          properties: { healthChecks: { type: 'array', maxItems: CEL_LIMITS.maxRules, items: ruleSchema } },
        },
      },
    },
    async (req) => {
      const target = found(
        store.targets.get(req.params.name),
        `target "${req.params.name}"`,
        'see `fleet targets list`',
      );
      if (target.removal) {
        throw ApiError.conflict(`target "${target.name}" is being removed`, 'add it again once it is gone');
      }
      const rules = req.body.healthChecks.map((r): HealthCheckRule => ({
        apiVersion: r.apiVersion,
        kind: r.kind,
        current: r.current,
        inProgress: r.inProgress ?? '',
        failed: r.failed ?? '',
      }));
      const [problem] = healthCheckProblems(rules);
      if (problem) throw ApiError.invalid(`${problem.field}: ${problem.message}`, problem.field);
      const { healthChecks: _old, ...options } = target.options;
      const next: JsonObject =
        rules.length > 0 ? { ...options, healthChecks: rules as unknown as JsonObject[] } : options;
      const updated = store.targets.put({
        name: target.name,
        repo: target.repo,
        path: target.path,
        environments: target.environments,
        options: next,
      });
      deps.engine?.enqueue({ kind: 'target', target: target.name });
      return targetView(store, updated);
    },
  );
}
