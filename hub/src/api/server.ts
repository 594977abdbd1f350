import type { Socket } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { FLOTILLA_VERSION } from '@flotilla/common';
import { API_PREFIX } from '@flotilla/proto/api';
import type { AuthFailureLimit, MetricsAuth } from '../config-access.js';
import { installAuth } from './auth.js';
import { AuthThrottle } from './auth-throttle.js';
import { installErrorHandler } from './errors.js';
import { installOpenApi } from './openapi.js';
import { adminRoutes } from './routes/admin.js';
import { clusterRoutes } from './routes/clusters.js';
import { configRoutes, type RepoPolicyDeps } from './routes/config.js';
import { healthCheckRoutes } from './routes/health-checks.js';
import { gitopsRoutes } from './routes/gitops.js';
import { observeRoutes } from './routes/observe.js';
import { retryRoutes } from './routes/retry.js';
import type { ApiDeps } from './routes/shared.js';
import { webhookRoutes } from './webhooks.js';

export interface ServerDeps extends ApiDeps, RepoPolicyDeps {
  logger?: FastifyBaseLogger;
  version?: string;
  /** Serve HTTPS with this certificate (see api/listen.ts for the port); plain HTTP without. */
  https?: { key: string; cert: string };
  /** /metrics open to anyone who reaches the port (none, the default), or with a viewer token (token). */
  metricsAuth?: MetricsAuth;
  /** Failed bearer tokens allowed per client address (default 20 per minute). */
  authFailureLimit?: AuthFailureLimit;
}

/**
 * Fastify's own handler logs the error, whose `rawPacket` holds the bytes received: a header
 * overflow's holds the request's headers, bearer token included. Only the code is logged here.
 */
function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, reason] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'Request Timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'Request Header Fields Too Large']
        : [400, 'BAD_REQUEST', 'Bad Request'];
  this.log.debug({ code: err.code, status, remoteAddress: socket.remoteAddress }, 'clientError');
  const body = JSON.stringify({ code, message: `the request could not be read: ${reason.toLowerCase()}` });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export type { ApiDeps } from './routes/shared.js';

/** Health, readiness, the OpenAPI document and metrics: outside /api/v1. */
async function hubRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['hub'];
  api.get(
    '/healthz',
    {
      schema: { summary: 'The hub process answers', tags, response: { 200: Type.Object({ ok: Type.Literal(true) }) } },
    },
    async () => ({ ok: true as const }),
  );
  api.get(
    '/readyz',
    {
      schema: {
        summary: 'The hub can serve: its store answers',
        tags,
        response: {
          200: Type.Object({ ok: Type.Literal(true), schemaVersion: Type.Integer() }),
          503: Type.Object({ ok: Type.Literal(false), message: Type.String() }, { description: 'Not ready, and why' }),
        },
      },
    },
    async (_req, reply) => {
      try {
        return { ok: true as const, schemaVersion: deps.store.schemaVersion() };
      } catch (err) {
        return reply.code(503).send({ ok: false, message: err instanceof Error ? err.message : String(err) });
      }
    },
  );
  api.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This document',
        tags,
        response: { 200: Type.Unsafe<object>({ type: 'object', description: 'OpenAPI 3.1' }) },
      },
    },
    async () => app.swagger(),
  );
  if (deps.metrics) {
    const metrics = deps.metrics;
    const role = deps.metricsAuth === 'token' ? ('viewer' as const) : undefined;
    api.get(
      '/metrics',
      {
        config: role ? { role } : {},
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags,
          response: { 200: { description: 'The metrics', content: { 'text/plain': { schema: Type.String() } } } },
        },
      },
      async (_req, reply) => reply.header('content-type', metrics.contentType).send(await metrics.text()),
    );
  }
}

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
    clientErrorHandler,
    // One type for both: the hub's routes do not depend on the transport.
    ...((deps.https ? { https: deps.https } : {}) as object),
  });
  installErrorHandler(app);
  const limit = deps.authFailureLimit ?? { burst: 20, periodSeconds: 60 };
  const throttle = new AuthThrottle({
    ...limit,
    report: (r) => {
      app.log.warn(r, 'authFailed');
      try {
        deps.store.events.append({ kind: 'AuthFailed', payload: { ...r } });
      } catch (err) {
        app.log.error({ err }, 'authFailedNotRecorded');
      }
    },
  });
  throttle.start();
  app.addHook('onClose', async () => throttle.stop());
  installAuth(app, deps.store, throttle);
  await installOpenApi(app, deps.version ?? FLOTILLA_VERSION);
  await hubRoutes(app, deps);
  await app.register(
    async (api) => {
      await adminRoutes(api, deps);
      await clusterRoutes(api, deps);
      await configRoutes(api, deps);
      await healthCheckRoutes(api, deps);
      await observeRoutes(api, deps);
      await retryRoutes(api, deps);
      await gitopsRoutes(api, deps);
    },
    { prefix: API_PREFIX },
  );
  await app.register(async (scope) => webhookRoutes(scope, deps));
  return app;
}
