import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import * as S from '@flotilla/proto/api-schema';
import { promote, promotionFromEvent, rollback, rollbackFromEvent, type GitOpsDeps } from '../../gitops/promotion.js';
import { actorOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { errorReply, reply } from '../openapi.js';
import type { ApiDeps } from './shared.js';

/** What pushing to Git can answer, besides the route's own refusals. */
const pushErrors = {
  404: errorReply('An environment named does not exist'),
  409: errorReply('Git refused: a merge conflict (PROMOTION_CONFLICT, with the files) or a push rejected'),
  502: errorReply("The repo's remote cannot be reached, refused the credentials, or is not there"),
  503: errorReply('This hub runs without its GitOps engine'),
};

/** Promotion (merge one environment's branch into the next) and rollback (a restoring commit). */
export async function gitopsRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
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

  api.post(
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
        body: S.PromotionRequest,
        response: {
          201: reply(S.ref(S.Promotion), 'Promoted: pushed to the `to` branch'),
          200: reply(S.ref(S.Promotion), 'Already up to date: nothing pushed'),
          ...pushErrors,
          412: errorReply('requireHealthy, and a deployment of `from` is not Ready at that commit (NOT_HEALTHY)'),
        },
      },
    },
    async (req, res) => {
      const p = await serial(() => promote(gitops(), { ...req.body, actor: actorOf(req) }));
      return res.code(p.kind === 'up-to-date' ? 200 : 201).send(p);
    },
  );
  api.get(
    '/promotions',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Promotions, newest last',
        tags: ['gitops'],
        querystring: S.HistoryQuery,
        response: { 200: S.List(S.ref(S.Promotion)) },
      },
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

  api.post(
    '/rollbacks',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Roll back an environment: a new commit on its branch restoring an earlier commit's tree",
        description:
          'Without `to`, the head commit is undone (its first parent restored). The commit is pushed and rolled out like any other.',
        tags: ['gitops'],
        body: S.RollbackRequest,
        response: { 201: reply(S.ref(S.Rollback), 'Rolled back: the new commit is pushed'), ...pushErrors },
      },
    },
    async (req, res) => {
      const r = await serial(() => rollback(gitops(), { ...req.body, actor: actorOf(req) }));
      return res.code(201).send(r);
    },
  );
  api.get(
    '/rollbacks',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Rollbacks, newest last',
        tags: ['gitops'],
        querystring: S.HistoryQuery,
        response: { 200: S.List(S.ref(S.Rollback)) },
      },
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
