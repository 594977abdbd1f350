import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { type HealthCheckRule } from '@flotilla/proto';
import { healthCheckProblems } from '@flotilla/proto/runtime';
import * as S from '@flotilla/proto/api-schema';
import type { JsonObject } from '../../store/index.js';
import { ApiError } from '../errors.js';
import { errorReply } from '../openapi.js';
import { targetView } from '../views.js';
import { found, type ApiDeps } from './shared.js';

/**
 * A target's custom health rules: CEL expressions per API group and kind, sent to its clusters'
 * agents with the desired state (docs/health.md). Checked here, so a rule that does not parse is
 * refused with its field rather than reported by every agent.
 */
export async function healthCheckRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.withTypeProvider<TypeBoxTypeProvider>().put(
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
        params: S.NameParams,
        body: S.HealthChecksRequest,
        response: { 200: S.ref(S.TargetView), 409: errorReply('The target is being removed') },
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
