import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { isFlotillaError } from '@flotilla/proto';
import * as S from '@flotilla/proto/api-schema';
import { errorReply } from './openapi.js';
import type { SecretBox } from '../secrets.js';
import { SeenDeliveries } from '../source/webhook-replay.js';
import { verifyWebhook } from '../source/webhooks.js';
import type { Store } from '../store/index.js';

export interface WebhookDeps {
  store: Store;
  secrets: SecretBox;
  /** Starts a fetch of the repo now; false when the repo has no poller yet. */
  trigger: (repo: string) => boolean;
}

/** Deliveries are remembered an hour: GitHub's and Gitea's ids are not under their signature. */
const REPLAY_TTL_MS = 3600_000;
const REPLAY_MAX_KEYS = 20_000;

/**
 * POST /api/v1/webhooks/:repo — a push webhook (GitHub, GitLab, Gitea or generic) triggers a fetch.
 * A delivery seen before (its id, or its signed content under another id) is answered 200
 * `duplicate` without a second fetch: providers retry with the same id, and an error would make them
 * count a failure (GitLab disables a hook that keeps failing), while the first delivery fetched already.
 */
export async function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): Promise<void> {
  const seen = new SeenDeliveries({ ttlMs: REPLAY_TTL_MS, max: REPLAY_MAX_KEYS });
  // Signatures cover the exact bytes: keep every body raw in this scope.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 5 * 2 ** 20 }, (_req, body, done) => done(null, body));
  const schema = {
    summary: 'A push webhook (GitHub, GitLab, Gitea or generic): fetch the repo now',
    description:
      "Signed with the repo's webhook secret (each provider's header). Not a bearer token: the signature " +
      'authenticates. A delivery seen before is answered 200 `duplicate`, without a second fetch.',
    tags: ['repos'],
    params: S.RepoParams,
    response: {
      202: Type.Object(
        { accepted: Type.Literal(true), triggered: S.bool(), branch: S.opt(S.str()) },
        { description: 'A push: a fetch is asked for (`triggered` as for POST /repos/{name}/sync)' },
      ),
      200: Type.Object(
        { accepted: Type.Literal(false), kind: S.str(), duplicate: S.opt(Type.Literal(true)) },
        { description: 'Not a push (a ping), or a delivery seen before: nothing to do' },
      ),
      401: errorReply('The signature does not verify (WEBHOOK_REJECTED)'),
      403: errorReply('The repo has no webhook secret (WEBHOOK_DISABLED)'),
      404: errorReply('No such repo'),
    },
  };
  app.withTypeProvider<TypeBoxTypeProvider>().post('/api/v1/webhooks/:repo', { schema }, async (req, reply) => {
    const { repo } = req.params;
    const record = deps.store.repos.get(repo);
    if (!record) return reply.code(404).send({ code: 'NOT_FOUND', message: `repo ${repo} does not exist` });
    if (!record.webhookSecretSealed) {
      return reply.code(403).send({
        code: 'WEBHOOK_DISABLED',
        message: `repo ${repo} has no webhook secret; set one to accept webhooks`,
      });
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const secret = deps.secrets.open(record.webhookSecretSealed, `repo ${repo} webhook secret`);
      const result = verifyWebhook(repo, req.headers, body, secret);
      if (result.kind !== 'push') return reply.code(200).send({ accepted: false, kind: result.kind });
      if (seen.check(repo, result.replayKeys)) {
        return reply.code(200).send({ accepted: false, kind: result.kind, duplicate: true });
      }
      const triggered = deps.trigger(repo);
      return reply.code(202).send({ accepted: true, triggered, ...(result.branch ? { branch: result.branch } : {}) });
    } catch (err) {
      if (isFlotillaError(err) && err.code === 'WEBHOOK_REJECTED') return reply.code(401).send(err.toJSON());
      throw err;
    }
  });
}
