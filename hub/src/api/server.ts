import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { API_PREFIX } from '@flotilla/proto/api';
import { installAuth } from './auth.js';
import { installErrorHandler } from './errors.js';
import { openApiCollector } from './openapi.js';
import { adminRoutes } from './routes/admin.js';
import { clusterRoutes } from './routes/clusters.js';
import { configRoutes } from './routes/config.js';
import { gitopsRoutes } from './routes/gitops.js';
import { observeRoutes } from './routes/observe.js';
import type { ApiDeps } from './routes/shared.js';
import { webhookRoutes } from './webhooks.js';

export interface ServerDeps extends ApiDeps {
  logger?: FastifyBaseLogger;
  version?: string;
}

export type { ApiDeps } from './routes/shared.js';

/**
 * The hub's HTTP server: the JSON API under /api/v1 (bearer tokens with roles), its OpenAPI
 * document at /openapi.json, Prometheus metrics at /metrics, health, readiness and webhooks.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logController: new LogController({ disableRequestLogging: true }),
    ...(deps.logger ? { loggerInstance: deps.logger } : {}),
    // Unknown fields are refused, not silently dropped; query strings are coerced to their types.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    bodyLimit: 1024 * 1024,
  });
  installErrorHandler(app);
  installAuth(app, deps.store);
  const openapi = openApiCollector(app, deps.version ?? '0.1.0');

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    try {
      return { ok: true, schemaVersion: deps.store.schemaVersion() };
    } catch (err) {
      return reply.code(503).send({ ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  });
  app.get('/openapi.json', async () => openapi());
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (_req, reply) =>
      reply.header('content-type', metrics.contentType).send(await metrics.text()),
    );
  }
  await app.register(
    async (api) => {
      await adminRoutes(api, deps);
      await clusterRoutes(api, deps);
      await configRoutes(api, deps);
      await observeRoutes(api, deps);
      await gitopsRoutes(api, deps);
    },
    { prefix: API_PREFIX },
  );
  await app.register(async (scope) => webhookRoutes(scope, deps));
  return app;
}
