import type { FastifyError, FastifyInstance } from 'fastify';
import { isFlotillaError } from '@flotilla/proto';
import type { ApiError as ApiErrorBody } from '@flotilla/proto/api';

/** An error with its HTTP status and the body the client sees. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }

  static invalid(message: string, field?: string, hint?: string): ApiError {
    return new ApiError(400, {
      code: 'INVALID',
      message,
      ...(hint ? { hint } : {}),
      ...(field ? { details: { field } } : {}),
    });
  }
  static unauthenticated(message: string, hint?: string): ApiError {
    return new ApiError(401, { code: 'UNAUTHENTICATED', message, ...(hint ? { hint } : {}) });
  }
  static forbidden(message: string, hint?: string): ApiError {
    return new ApiError(403, { code: 'FORBIDDEN', message, ...(hint ? { hint } : {}) });
  }
  static notFound(message: string, hint?: string): ApiError {
    return new ApiError(404, { code: 'NOT_FOUND', message, ...(hint ? { hint } : {}) });
  }
  static conflict(message: string, hint?: string): ApiError {
    return new ApiError(409, { code: 'CONFLICT', message, ...(hint ? { hint } : {}) });
  }
}

/** HTTP status per error code of the layers below; the code and message pass through unchanged. */
const STATUS_OF_CODE: Record<string, number> = {
  INVALID: 400,
  STORE_INVALID: 400,
  STORE_REFERENCE: 400,
  CONFIG: 400,
  SELECTOR: 400,
  SOURCE_PATH: 400,
  NOT_FOUND: 404,
  STORE_NOT_FOUND: 404,
  STORE_CONFLICT: 409,
  PROMOTION_CONFLICT: 409,
  SOURCE_PUSH_REJECTED: 409,
  NOT_HEALTHY: 412,
  GIT_UNAVAILABLE: 502,
  SOURCE_UNREACHABLE: 502,
  SOURCE_AUTH: 502,
  SOURCE_NOT_FOUND: 502,
};

const DETAIL_FIELDS = ['files', 'notReady', 'field'] as const;

/** One error shape for every failure: `{ code, message, hint?, details? }`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send(err.body);
    const fe = err as FastifyError;
    if (fe.validation) {
      const v = fe.validation[0];
      const extra = (v?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const where = `${fe.validationContext ?? 'request'}${v?.instancePath ?? ''}`;
      const field = extra ? `${where}/${extra}` : where;
      const message = extra
        ? `${field}: unknown field "${extra}"`
        : `${where.replace(/\//g, '.')}: ${v?.message ?? fe.message}`;
      return reply.code(400).send({ code: 'INVALID', message, details: { field } });
    }
    if (isFlotillaError(err)) {
      const details: Record<string, unknown> = {};
      for (const k of DETAIL_FIELDS) if (k in err) details[k] = (err as unknown as Record<string, unknown>)[k];
      return reply.code(STATUS_OF_CODE[err.code] ?? 400).send({
        code: err.code,
        message: err.message,
        ...(Object.keys(details).length > 0 ? { details } : {}),
      });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ code: fe.code ?? 'BAD_REQUEST', message: fe.message });
    }
    req.log.error({ err }, 'requestFailed');
    return reply.code(500).send({
      code: 'INTERNAL',
      message: `the hub failed to handle ${req.method} ${req.url}: ${err.message}`,
      hint: "this is a bug; the hub's log has the details",
    });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      code: 'NOT_FOUND',
      message: `no route ${req.method} ${req.url.split('?')[0]}`,
      hint: 'see /openapi.json for the routes of this hub',
    }),
  );
}
