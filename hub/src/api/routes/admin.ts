import type { FastifyInstance } from 'fastify';
import { FLOTILLA_VERSION } from '@flotilla/common';
import {
  API_ROLES,
  type ApiTokenCreateRequest,
  type ApiTokenCreateResponse,
  type ApiTokenView,
  type HubInfo,
  type List,
  type WhoAmI,
} from '@flotilla/proto/api';
import type { ApiToken } from '../../store/index.js';
import { actorOf, mintApiToken } from '../auth.js';
import { ApiError } from '../errors.js';
import { nameParams, nameSchema, type ApiDeps } from './shared.js';

const tokenView = (t: ApiToken): ApiTokenView => {
  const { tokenHash: _hash, ...view } = t;
  return view;
};

/** Who am I, what is this hub, and the API's own bearer tokens. */
export async function adminRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.get<{ Reply: WhoAmI }>(
    '/whoami',
    { config: { role: 'viewer' }, schema: { summary: "The caller's token name and role", tags: ['auth'] } },
    async (req) => req.principal ?? { name: 'anonymous', role: 'viewer' },
  );
  app.get<{ Reply: HubInfo }>(
    '/hub',
    { config: { role: 'viewer' }, schema: { summary: 'What agents need: transport, address, CA', tags: ['auth'] } },
    async () => deps.hubInfo?.() ?? { version: FLOTILLA_VERSION, transport: 'grpc' },
  );
  app.get<{ Reply: List<ApiTokenView> }>(
    '/tokens',
    { config: { role: 'admin' }, schema: { summary: 'List API tokens (never the tokens themselves)', tags: ['auth'] } },
    async () => ({ items: store.apiTokens.list().map(tokenView) }),
  );
  app.post<{ Body: ApiTokenCreateRequest; Reply: ApiTokenCreateResponse }>(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create an API token (shown once)',
        tags: ['auth'],
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: {
            name: nameSchema,
            role: { type: 'string', enum: [...API_ROLES] },
            ttlSeconds: { type: 'integer', minimum: 60 },
          },
        },
      },
    },
    async (req, reply) => {
      if (store.apiTokens.get(req.body.name)) {
        throw ApiError.conflict(
          `API token "${req.body.name}" already exists`,
          'token names are never reused: pick another name',
        );
      }
      const { token, record } = mintApiToken(store, { ...req.body, createdBy: actorOf(req) });
      return reply.code(201).send({ ...tokenView(record), token });
    },
  );
  app.delete<{ Params: { name: string } }>(
    '/tokens/:name',
    { config: { role: 'admin' }, schema: { summary: 'Revoke an API token', tags: ['auth'], params: nameParams } },
    async (req, reply) => {
      if (
        req.principal?.name === req.params.name &&
        store.apiTokens.list().filter((t) => t.role === 'admin' && !t.revokedAt).length === 1
      ) {
        throw ApiError.conflict(
          `token "${req.params.name}" is the last admin token; revoking it would lock every admin out`,
          'create another admin token first',
        );
      }
      if (!store.apiTokens.get(req.params.name))
        throw ApiError.notFound(`API token "${req.params.name}" does not exist`, 'see `fleet tokens list`');
      store.apiTokens.revoke(req.params.name);
      return reply.code(204).send();
    },
  );
}
