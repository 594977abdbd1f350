import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NAME_PATTERN } from '@flotilla/proto/api-schema';
import { API_ROLES, roleAllows, type ApiRole, type WhoAmI } from '@flotilla/proto/api';
import { hashSecret } from '../protocol/registration.js';
import type { ApiToken, Store } from '../store/index.js';
import type { AuthThrottle } from './auth-throttle.js';
import { ApiError } from './errors.js';

export const API_TOKEN_PREFIX = 'flapi_';
const NAME = new RegExp(NAME_PATTERN);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a route needs; routes without one are public (health, OpenAPI, webhooks). */
    role?: ApiRole;
  }
  interface FastifyRequest {
    principal?: WhoAmI;
  }
}

export interface MintApiTokenOptions {
  name: string;
  role: ApiRole;
  ttlSeconds?: number;
  createdBy: string;
  now?: Date;
}

/** A new bearer token; the hub keeps only its sha256. Names are unique and never reused. */
export function mintApiToken(store: Store, o: MintApiTokenOptions): { token: string; record: ApiToken } {
  if (!NAME.test(o.name)) {
    throw ApiError.invalid(
      `token name "${o.name}" is not valid: use lowercase letters, digits, '.', '_' and '-' (at most 63)`,
      'name',
    );
  }
  if (!(API_ROLES as readonly string[]).includes(o.role)) {
    throw ApiError.invalid(`role "${String(o.role)}" is not one of ${API_ROLES.join(', ')}`, 'role');
  }
  if (o.ttlSeconds !== undefined && !(Number.isInteger(o.ttlSeconds) && o.ttlSeconds > 0)) {
    throw ApiError.invalid(`ttlSeconds ${o.ttlSeconds} is not a positive whole number of seconds`, 'ttlSeconds');
  }
  const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const now = o.now ?? new Date();
  const record = store.apiTokens.create({
    name: o.name,
    tokenHash: hashSecret(token),
    role: o.role,
    createdBy: o.createdBy,
    ...(o.ttlSeconds ? { expiresAt: new Date(now.getTime() + o.ttlSeconds * 1000).toISOString() } : {}),
  });
  return { token, record };
}

export const BOOTSTRAP_TOKEN_FILE = 'admin.token';

/**
 * The first admin token: when the hub has no API token at all, one named `bootstrap-admin` is
 * minted and written to `<data-dir>/admin.token` (mode 0600) for the operator to read once and
 * log in with. Returns the file's path when it wrote one.
 */
export function bootstrapAdminToken(store: Store, dataDir: string): string | undefined {
  if (store.apiTokens.count() > 0) return undefined;
  const path = join(dataDir, BOOTSTRAP_TOKEN_FILE);
  const name = existsSync(path) ? `bootstrap-admin-${Date.now()}` : 'bootstrap-admin';
  const { token } = mintApiToken(store, { name, role: 'admin', createdBy: 'flotilla-hub' });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** A bearer token that was presented and refused: what a guess looks like (a missing one is not). */
class BearerRefused extends ApiError {
  constructor(
    readonly reason: 'malformed' | 'unknown' | 'revoked' | 'expired',
    message: string,
    hint?: string,
  ) {
    super(401, { code: 'UNAUTHENTICATED', message, ...(hint ? { hint } : {}) });
  }
}

/** Resolves the bearer token of a request: 401 when absent, unknown, expired or revoked. */
export function authenticateRequest(store: Store, req: FastifyRequest, now = new Date()): ApiToken {
  const header = req.headers.authorization;
  if (!header) {
    throw ApiError.unauthenticated(
      'this request needs a bearer token (Authorization: Bearer <token>)',
      'log in with `fleet login --hub <url> --token <token>`; an admin creates tokens with `fleet tokens create`',
    );
  }
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m?.[1]) throw new BearerRefused('malformed', 'the Authorization header is not "Bearer <token>"');
  const token = store.apiTokens.getByHash(hashSecret(m[1]));
  if (!token)
    throw new BearerRefused(
      'unknown',
      'the bearer token is not known to this hub',
      'check the token, or ask an admin for a new one',
    );
  if (token.revokedAt)
    throw new BearerRefused(
      'revoked',
      `token "${token.name}" was revoked at ${token.revokedAt}`,
      'ask an admin for a new one',
    );
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) {
    throw new BearerRefused(
      'expired',
      `token "${token.name}" expired at ${token.expiresAt}`,
      'ask an admin for a new one',
    );
  }
  return token;
}

/**
 * A refused bearer token counts against its client address; past the address's limit the answer is
 * 429 with Retry-After instead of 401. A valid token is served whatever its address did.
 */
function authenticateThrottled(
  store: Store,
  req: FastifyRequest,
  reply: FastifyReply,
  throttle: AuthThrottle | undefined,
): ApiToken {
  try {
    return authenticateRequest(store, req);
  } catch (err) {
    if (!throttle || !(err instanceof BearerRefused)) throw err;
    const { address, retryAfterSeconds } = throttle.failed(req.ip, err.reason);
    if (retryAfterSeconds === undefined) throw err;
    void reply.header('retry-after', String(retryAfterSeconds));
    throw new ApiError(429, {
      code: 'TOO_MANY_AUTH_FAILURES',
      message: `too many failed logins from ${address}: ${err.message}; retry after ${retryAfterSeconds} s`,
      hint: 'check the token (`fleet login`); each failed attempt is recorded in an AuthFailed event',
    });
  }
}

/** Every route with `config.role` needs a bearer token whose role is at least that. */
export function installAuth(app: FastifyInstance, store: Store, throttle?: AuthThrottle): void {
  app.addHook('onRequest', async (req, reply) => {
    const need = req.routeOptions.config.role;
    if (!need) return;
    const token = authenticateThrottled(store, req, reply, throttle);
    if (!roleAllows(token.role, need)) {
      throw ApiError.forbidden(
        `token "${token.name}" has role ${token.role}; ${req.method} ${req.routeOptions.url ?? req.url} needs ${need}`,
        `use a token with role ${need} or higher (an admin creates one with \`fleet tokens create --role ${need}\`)`,
      );
    }
    store.apiTokens.touch(token.name);
    req.principal = { name: token.name, role: token.role };
  });
}

/** Who made the request, for the audit log. */
export const actorOf = (req: FastifyRequest): string => req.principal?.name ?? 'anonymous';
