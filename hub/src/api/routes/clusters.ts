import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as S from '@flotilla/proto/api-schema';
import { checkLabels, roleAllows } from '@flotilla/proto/api';
import type { ClusterSummary, GroupDetail } from '@flotilla/proto/api';
import { mintRegistrationToken } from '../../protocol/registration.js';
import { parseSelector } from '../../target/selector.js';
import { actorOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { noContent } from '../openapi.js';
import { clusterSummary, deploymentView, environmentClusters, groupClusters } from '../views.js';
import type { Cluster } from '../../store/index.js';
import { found, livenessOf, type ApiDeps } from './shared.js';

const CLUSTER_HINT = 'see `fleet clusters list`';
const GROUP_HINT = 'see `fleet groups list`';

/**
 * A token for a cluster the hub holds replaces its agent's credential (and lifts a revocation): that
 * is taking over its identity, so an admin's to do. Operators register new clusters.
 */
function mayReregister(req: FastifyRequest, existing: Cluster): void {
  const p = req.principal;
  if (p && roleAllows(p.role, 'admin')) return;
  const why = existing.revokedAt
    ? `cluster ${existing.name} was revoked at ${existing.revokedAt}, and only an admin may register it again`
    : `cluster ${existing.name} already exists, and only an admin may mint a token for it (a new credential replaces its agent's)`;
  throw ApiError.forbidden(
    `${p ? `token "${p.name}" has role ${p.role}` : 'this request carries no token'}; ${why}`,
    `ask an admin to run \`fleet clusters register ${existing.name}\`; to register a new cluster, pick a name \`fleet clusters list\` does not show`,
  );
}

/** Clusters (registration, labels, revocation, removal) and groups of clusters. */
export async function clusterRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const liveness = livenessOf(deps);
  const summary = (name: string): ClusterSummary => {
    const c = found(store.clusters.get(name), `cluster "${name}"`, CLUSTER_HINT);
    return clusterSummary(c, store.deployments.list({ cluster: name }), liveness());
  };

  api.get(
    '/clusters',
    {
      config: { role: 'viewer' },
      schema: { summary: 'List clusters', tags: ['clusters'], response: { 200: S.List(S.ref(S.ClusterSummary)) } },
    },
    async () => {
      const deployments = store.deployments.list();
      const l = liveness();
      return {
        items: store.clusters.list().map((c) =>
          clusterSummary(
            c,
            deployments.filter((d) => d.cluster === c.name),
            l,
          ),
        ),
      };
    },
  );

  api.get(
    '/clusters/:name',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Get a cluster with its deployments',
        tags: ['clusters'],
        params: S.NameParams,
        response: { 200: S.ref(S.ClusterDetail) },
      },
    },
    async (req) => {
      const s = summary(req.params.name);
      const groups = store.groups.list();
      const clusters = store.clusters.list();
      return {
        ...s,
        groups: groups.filter((g) => groupClusters(g, clusters).includes(s.name)).map((g) => g.name),
        environments: store.environments
          .list()
          .filter((e) => environmentClusters(e, groups, clusters).includes(s.name))
          .map((e) => e.name),
        deploymentList: store.deployments.list({ cluster: s.name }).map(deploymentView),
      };
    },
  );

  api.post(
    '/clusters',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Register a cluster: mint its one-time registration token',
        description:
          'Creates the cluster (when new) with its labels and returns a one-time, expiring token the agent ' +
          'trades for its credential (operator). For an existing or revoked cluster the token re-registers it: ' +
          "a new credential that replaces its agent's and lifts a revocation (admin only).",
        tags: ['clusters'],
        body: S.ClusterRegisterRequest,
        response: { 201: S.ref(S.ClusterRegisterResponse) },
      },
    },
    async (req, reply) => {
      const { name, labels = {}, ttlSeconds } = req.body;
      const { created, token, expiresAt } = store.transaction(() => {
        const existing = store.clusters.get(name);
        if (existing) mayReregister(req, existing);
        // Checks the name (of a new cluster) and the labels before anything is written.
        const minted = mintRegistrationToken(store, {
          cluster: name,
          labels,
          ...(ttlSeconds ? { ttlSeconds } : {}),
          createdBy: actorOf(req),
        });
        if (!existing) store.clusters.create({ name, labels });
        else if (Object.keys(labels).length > 0) store.clusters.setLabels(name, { ...existing.labels, ...labels });
        return { created: !existing, ...minted };
      });
      if (created) deps.engine?.enqueue({ kind: 'cluster', cluster: name });
      const info = deps.hubInfo?.();
      return reply.code(201).send({
        cluster: name,
        token,
        expiresAt,
        ...(info?.agentAddress ? { hubAddress: info.agentAddress } : {}),
      });
    },
  );

  api.patch(
    '/clusters/:name/labels',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Change a cluster's labels (which groups and environments it belongs to)",
        tags: ['clusters'],
        params: S.NameParams,
        body: S.LabelsPatch,
        response: { 200: S.ref(S.ClusterSummary) },
      },
    },
    async (req) => {
      const c = found(store.clusters.get(req.params.name), `cluster "${req.params.name}"`, CLUSTER_HINT);
      // Only what is set is checked: a stored label from before the rule can still be removed.
      const labels = { ...c.labels, ...checkLabels(req.body.set ?? {}, 'set') };
      for (const k of req.body.remove ?? []) delete labels[k];
      store.clusters.setLabels(c.name, labels);
      deps.engine?.enqueue({ kind: 'cluster', cluster: c.name });
      return summary(c.name);
    },
  );

  api.post(
    '/clusters/:name/revoke',
    {
      config: { role: 'admin' },
      schema: {
        summary: "Revoke a cluster's credential: its agent is refused until registered again",
        tags: ['clusters'],
        params: S.NameParams,
        response: { 200: S.ref(S.ClusterSummary) },
      },
    },
    async (req) => {
      found(store.clusters.get(req.params.name), `cluster "${req.params.name}"`, CLUSTER_HINT);
      store.transaction(() => {
        store.clusters.revoke(req.params.name);
        store.events.append({ kind: 'ClusterRevoked', cluster: req.params.name, actor: actorOf(req) });
      });
      deps.agents?.disconnect?.(req.params.name);
      return summary(req.params.name);
    },
  );

  api.delete(
    '/clusters/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Remove a cluster from the hub (its agent is refused; objects stay in the cluster)',
        tags: ['clusters'],
        params: S.NameParams,
        response: { 204: noContent('Removed') },
      },
    },
    async (req, reply) => {
      found(store.clusters.get(req.params.name), `cluster "${req.params.name}"`, CLUSTER_HINT);
      store.clusters.delete(req.params.name);
      deps.agents?.disconnect?.(req.params.name);
      deps.engine?.enqueue({ kind: 'cluster', cluster: req.params.name });
      return reply.code(204).send();
    },
  );

  // Groups: named label selectors.
  const groupDetail = (name: string): GroupDetail => {
    const g = found(store.groups.get(name), `group "${name}"`, GROUP_HINT);
    return { ...g, clusters: groupClusters(g, store.clusters.list()) };
  };
  api.get(
    '/groups',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List groups with the clusters they match',
        tags: ['groups'],
        response: { 200: S.List(S.ref(S.GroupDetail)) },
      },
    },
    async () => {
      const clusters = store.clusters.list();
      return { items: store.groups.list().map((g) => ({ ...g, clusters: groupClusters(g, clusters) })) };
    },
  );
  api.get(
    '/groups/:name',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Get a group',
        tags: ['groups'],
        params: S.NameParams,
        response: { 200: S.ref(S.GroupDetail) },
      },
    },
    async (req) => groupDetail(req.params.name),
  );
  api.put(
    '/groups/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create or replace a group (a label selector such as `env=prod,region in (eu,us)`)',
        tags: ['groups'],
        params: S.NewNameParams,
        body: S.GroupPutRequest,
        response: { 200: S.ref(S.GroupDetail) },
      },
    },
    async (req) => {
      try {
        parseSelector(req.body.selector);
      } catch (err) {
        throw ApiError.invalid(`selector: ${err instanceof Error ? err.message : String(err)}`, 'selector');
      }
      store.groups.put({ name: req.params.name, selector: req.body.selector });
      // Environments deploy to groups, and Fleet's clusterGroup customizations render by them: all.
      deps.engine?.enqueue({ kind: 'all' });
      return groupDetail(req.params.name);
    },
  );
  api.delete(
    '/groups/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Remove a group',
        tags: ['groups'],
        params: S.NameParams,
        response: { 204: noContent('Removed') },
      },
    },
    async (req, reply) => {
      if (!store.groups.delete(req.params.name))
        throw ApiError.notFound(`group "${req.params.name}" does not exist`, GROUP_HINT);
      deps.engine?.enqueue({ kind: 'all' });
      return reply.code(204).send();
    },
  );
}
