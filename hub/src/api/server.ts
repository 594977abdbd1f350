import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { webhookRoutes, type WebhookDeps } from './webhooks.js';

export interface ServerDeps extends WebhookDeps {
  logger?: FastifyBaseLogger;
}

/** The hub's HTTP server: health, readiness and webhooks (the JSON API grows here). */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ disableRequestLogging: true, ...(deps.logger ? { loggerInstance: deps.logger } : {}) });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async () => ({ ok: true, schemaVersion: deps.store.schemaVersion() }));
  await app.register(async (scope) => webhookRoutes(scope, deps));
  return app;
}
