import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { FLOTILLA_VERSION } from '@flotilla/common';
import * as S from '@flotilla/proto/api-schema';
import type { ApiTokenView } from '@flotilla/proto/api';
import type { ApiToken } from '../../store/index.js';
import { actorOf, mintApiToken } from '../auth.js';
import { ApiError } from '../errors.js';
import { errorReply, noContent } from '../openapi.js';
import type { ApiDeps } from './shared.js';

const tokenView = (t: ApiToken): ApiTokenView => {
  const { tokenHash: _hash, ...view } = t;
  return view;
};

/** Who am I, what is this hub, and the API's own bearer tokens. */
export async function adminRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['auth'];
  api.get(
    '/whoami',
    {
      config: { role: 'viewer' },
      schema: { summary: "The caller's token name and role", tags, response: { 200: S.ref(S.WhoAmI) } },
    },
    async (req) => req.principal ?? { name: 'anonymous', role: 'viewer' as const },
  );
  api.get(
    '/hub',
    {
      config: { role: 'viewer' },
      schema: { summary: 'What agents need: transport, address, CA', tags, response: { 200: S.ref(S.HubInfo) } },
    },
    async () => deps.hubInfo?.() ?? { version: FLOTILLA_VERSION, transport: 'grpc' as const },
  );
  api.get(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'List API tokens (never the tokens themselves)',
        tags,
        response: { 200: S.List(S.ref(S.ApiTokenView)) },
      },
    },
    async () => ({ items: store.apiTokens.list().map(tokenView) }),
  );
  api.post(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create an API token (shown once)',
        tags,
        body: S.ApiTokenCreateRequest,
        response: {
          201: S.ref(S.ApiTokenCreateResponse),
          409: errorReply('A token of that name exists, or existed: names are never reused'),
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
  api.delete(
    '/tokens/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Revoke an API token',
        tags,
        params: S.NameParams,
        response: {
          204: noContent('Revoked'),
          409: errorReply('The last admin token: revoking it would lock admins out'),
        },
      },
    },
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
