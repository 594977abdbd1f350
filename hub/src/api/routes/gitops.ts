import type { FastifyInstance } from 'fastify';
import type { List, Promotion, PromotionRequest, Rollback, RollbackRequest } from '@flotilla/proto/api';
import { promote, promotionFromEvent, rollback, rollbackFromEvent, type GitOpsDeps } from '../../gitops/promotion.js';
import { actorOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { nameSchema, type ApiDeps } from './shared.js';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { environment: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
} as const;

/** Promotion (merge one environment's branch into the next) and rollback (a restoring commit). */
export async function gitopsRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const gitops = (): GitOpsDeps => {
    if (!deps.engine)
      throw new ApiError(503, { code: 'UNAVAILABLE', message: 'this hub runs without its GitOps engine' });
    return {
      store,
      sources: deps.engine.sources,
      fetch: (repo) => deps.engine!.fetch(repo),
      ...(deps.now ? { now: deps.now } : {}),
    };
  };
  // One promotion or rollback at a time per hub: each reads a branch head and pushes on top of it.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  app.post<{ Body: PromotionRequest; Reply: Promotion }>(
    '/promotions',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Promote: merge the `from` environment's branch into the `to` environment's branch and push",
        description:
          'A fast-forward when possible, a merge commit otherwise; refused with the conflicting files on a ' +
          'conflict (409 PROMOTION_CONFLICT). With requireHealthy, refused (412 NOT_HEALTHY) unless every ' +
          'deployment of `from` is Ready at the commit promoted.',
        tags: ['gitops'],
        body: {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: { from: nameSchema, to: nameSchema, requireHealthy: { type: 'boolean' } },
        },
      },
    },
    async (req, reply) => {
      const p = await serial(() => promote(gitops(), { ...req.body, actor: actorOf(req) }));
      return reply.code(p.kind === 'up-to-date' ? 200 : 201).send(p);
    },
  );
  app.get<{ Querystring: { environment?: string; limit?: number }; Reply: List<Promotion> }>(
    '/promotions',
    {
      config: { role: 'viewer' },
      schema: { summary: 'Promotions, newest last', tags: ['gitops'], querystring: listQuery },
    },
    async (req) => ({
      items: store.events
        .list({
          kind: 'Promotion',
          newest: true,
          limit: req.query.limit ?? 100,
          ...(req.query.environment ? { environment: req.query.environment } : {}),
        })
        .map(promotionFromEvent),
    }),
  );

  app.post<{ Body: RollbackRequest; Reply: Rollback }>(
    '/rollbacks',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Roll back an environment: a new commit on its branch restoring an earlier commit's tree",
        description:
          'Without `to`, the head commit is undone (its first parent restored). The commit is pushed and rolled out like any other.',
        tags: ['gitops'],
        body: {
          type: 'object',
          required: ['environment'],
          additionalProperties: false,
          properties: { environment: nameSchema, to: { type: 'string', pattern: '^[0-9a-fA-F]{4,40}$' } },
        },
      },
    },
    async (req, reply) => {
      const r = await serial(() => rollback(gitops(), { ...req.body, actor: actorOf(req) }));
      return reply.code(201).send(r);
    },
  );
  app.get<{ Querystring: { environment?: string; limit?: number }; Reply: List<Rollback> }>(
    '/rollbacks',
    {
      config: { role: 'viewer' },
      schema: { summary: 'Rollbacks, newest last', tags: ['gitops'], querystring: listQuery },
    },
    async (req) => ({
      items: store.events
        .list({
          kind: 'Rollback',
          newest: true,
          limit: req.query.limit ?? 100,
          ...(req.query.environment ? { environment: req.query.environment } : {}),
        })
        .map(rollbackFromEvent),
    }),
  );
}
