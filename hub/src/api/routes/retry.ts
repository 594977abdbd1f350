import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import * as S from '@flotilla/proto/api-schema';
import type { Deployment } from '../../store/index.js';
import { actorOf } from '../auth.js';
import { errorReply } from '../openapi.js';
import { found, type ApiDeps } from './shared.js';

/** At most this many deployments are named in the event one request appends (the reply lists them all). */
const EVENT_NAMED = 100;

/**
 * Retries of failed applies, asked for now: the agents retry on their own with backoff, and this
 * lets a user who fixed the cause in the cluster skip the wait.
 */
export async function retryRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/deployments/retry',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Ask agents to apply deployments again now, skipping the backoff of a failed apply',
        description:
          'Every deployment matching the filters, and, without `state`, not Ready (nothing to retry there). ' +
          'The request travels with the desired state, on either transport: an agent that is not connected ' +
          'applies when it reconnects (`connected: false`). Nothing matching is not an error: the list is empty.',
        tags: ['status'],
        body: S.RetryRequest,
        response: {
          200: S.List(S.ref(S.RetryRequested)),
          404: errorReply('The cluster, target or environment named does not exist'),
        },
      },
    },
    async (req) => {
      const { cluster, target, environment, state } = req.body ?? {};
      // A misspelt name would otherwise retry nothing, silently.
      if (cluster) found(store.clusters.get(cluster), `cluster "${cluster}"`, 'see `fleet clusters list`');
      if (target) found(store.targets.get(target), `target "${target}"`, 'see `fleet targets list`');
      if (environment) {
        found(store.environments.get(environment), `environment "${environment}"`, 'see `fleet environments list`');
      }
      const chosen = store.deployments
        .list({
          ...(cluster ? { cluster } : {}),
          ...(target ? { target } : {}),
          ...(environment ? { environment } : {}),
        })
        .filter((d) => (state ? d.state === state : d.state !== 'Ready'));
      const asked = store.transaction(() => {
        const done = store.deployments.requestRetry(chosen);
        if (done.length > 0) recordRequest(deps, done, actorOf(req));
        return done;
      });
      // The agents of those clusters hear of it from the store (a retry is part of the desired state).
      const connected = new Set(deps.agents?.connectedClusters() ?? []);
      return {
        items: asked.map((d) => ({
          cluster: d.cluster,
          target: d.target,
          environment: d.environment,
          state: d.state,
          connected: connected.has(d.cluster),
        })),
      };
    },
  );
}

/** Who asked for which retries: an event, like a promotion or a rollback. */
function recordRequest(deps: ApiDeps, asked: readonly Deployment[], actor: string): void {
  const one = asked.length === 1 ? asked[0] : undefined;
  deps.store.events.append({
    kind: 'RetryRequested',
    actor,
    ...(one ? { cluster: one.cluster, target: one.target, environment: one.environment } : {}),
    payload: {
      count: asked.length,
      deployments: asked.slice(0, EVENT_NAMED).map((d) => `${d.cluster}/${d.environment}/${d.target}`),
    },
  });
}
