import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import * as S from '@flotilla/proto/api-schema';
import type { RepoCreateRequest, RepoView, TargetOptions, TargetRemovalView } from '@flotilla/proto/api';
import { repoPathProblem } from '../../render/load.js';
import { hostEntryProblem } from '../../render/net-policy.js';
import type { WorkKey } from '../../reconcile/work-queue.js';
import type { JsonObject, Store } from '../../store/index.js';
import { safeRepoPath } from '../../source/git-source.js';
import {
  checkRepoAuth,
  checkRepoUrl,
  DEFAULT_REPO_ENV_PREFIX,
  displayRepoUrl,
  RepoCredentialError,
  SEALED_AUTH_KEYS,
} from '../../source/repo-credentials.js';
import { parseSelector } from '../../target/selector.js';
import { ApiError } from '../errors.js';
import { errorReply, noContent } from '../openapi.js';
import { environmentView, repoView, targetView } from '../views.js';
import { found, type ApiDeps } from './shared.js';

const REPO_HINT = 'see `fleet repos list`';
const ENV_HINT = 'see `fleet environments list`';
const TARGET_HINT = 'see `fleet targets list`';

/** The same rule as fleet.yaml's helm.valuesFiles: inside the repository. */
function checkValuesFiles(options: TargetOptions | undefined): void {
  (options?.helm?.valuesFiles ?? []).forEach((file, i) => {
    const problem = repoPathProblem(file);
    if (problem !== undefined) {
      throw ApiError.invalid(
        `options.helm.valuesFiles[${i}] ${JSON.stringify(file)} ${problem}`,
        'options',
        "name a file relative to the target's path, e.g. values-prod.yaml",
      );
    }
  });
}

export interface RepoPolicyDeps {
  /** Repo auth may name only environment variables with this prefix (default FLOTILLA_REPO_). */
  repoEnvPrefix?: string;
}

/** Repos, environments and targets: what the hub deploys, from where, to which clusters. */
export async function configRoutes(app: FastifyInstance, deps: ApiDeps & RepoPolicyDeps): Promise<void> {
  const { store } = deps;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  /** What a change asks the engine to decide again: its keys, and the repo pollers follow the store. */
  const changed = (...keys: WorkKey[]) => {
    deps.engine?.refreshRepos();
    deps.engine?.enqueue(...keys);
  };
  /** A repo's environments (its URL, credentials or render hosts changed: so may every render of it). */
  const repoKeys = (repo: string): WorkKey[] =>
    store.environments
      .list()
      .filter((e) => e.repo === repo)
      .map((e) => ({ kind: 'environment', environment: e.name }));

  // Repos
  api.get(
    '/repos',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List repos with what was last fetched per branch',
        tags: ['repos'],
        response: { 200: S.List(S.ref(S.RepoView)) },
      },
    },
    async () => ({ items: store.repos.list().map((r) => redact(repoView(store, r))) }),
  );
  api.get(
    '/repos/:name',
    {
      config: { role: 'viewer' },
      schema: { summary: 'Get a repo', tags: ['repos'], params: S.NameParams, response: { 200: S.ref(S.RepoView) } },
    },
    async (req) =>
      redact(repoView(store, found(store.repos.get(req.params.name), `repo "${req.params.name}"`, REPO_HINT))),
  );
  api.post(
    '/repos',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Add a Git repository',
        description:
          'auth: `username` plus `password`/`token` (sealed by the hub before it is stored), or references: ' +
          "`passwordFile`/`tokenFile` (the name of a file in the hub's repo secrets directory, --repo-secrets-dir) " +
          'or `passwordEnv`/`tokenEnv` (a hub environment variable whose name starts with --repo-env-prefix, ' +
          'FLOTILLA_REPO_ by default). A URL holding credentials (user:password@host) is refused.',
        tags: ['repos'],
        body: S.RepoCreateRequest,
        response: { 201: S.ref(S.RepoView), 409: errorReply('A repo of that name exists') },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (store.repos.get(b.name)) {
        throw ApiError.conflict(`repo "${b.name}" already exists`, `remove it first (fleet repos remove ${b.name})`);
      }
      checkRepoSettings(b, deps.repoEnvPrefix ?? DEFAULT_REPO_ENV_PREFIX);
      const auth = b.auth
        ? Object.fromEntries(
            Object.entries(b.auth).map(([k, v]) => [k, SEALED_AUTH_KEYS.includes(k) ? deps.secrets.seal(v) : v]),
          )
        : undefined;
      checkCredentialSources(deps, { name: b.name, url: b.url, ...(auth ? { auth } : {}) });
      const repo = store.repos.put({
        name: b.name,
        url: b.url,
        pollIntervalSeconds: b.pollIntervalSeconds ?? 60,
        ...(auth ? { auth } : {}),
        ...(b.webhookSecret ? { webhookSecretSealed: deps.secrets.seal(b.webhookSecret) } : {}),
        ...(b.renderHosts && b.renderHosts.length > 0 ? { renderHosts: b.renderHosts } : {}),
      });
      changed(...repoKeys(repo.name));
      // Accepted either way (the remote may be down for a while), but its state shows from now on.
      await deps.engine?.checkRepo?.(repo.name);
      return reply.code(201).send(redact(repoView(store, store.repos.get(repo.name) ?? repo)));
    },
  );
  api.put(
    '/repos/:name/render-hosts',
    {
      config: { role: 'admin' },
      schema: {
        summary: "Set the hosts a repo's renders may fetch Helm charts from (the whole list; empty: none)",
        description:
          'Entries: host names, `*.domain` wildcards, IP addresses, CIDRs. A loopback, link-local or private ' +
          'address is reached only when that address (or a CIDR holding it) is listed itself.',
        tags: ['repos'],
        params: S.NameParams,
        body: S.RepoRenderHostsRequest,
        response: { 200: S.ref(S.RepoView) },
      },
    },
    async (req) => {
      const repo = found(store.repos.get(req.params.name), `repo "${req.params.name}"`, REPO_HINT);
      checkRenderHosts(repo.name, req.body.renderHosts);
      const { renderHosts: _old, ...rest } = repo;
      const hosts = [...new Set(req.body.renderHosts)];
      const updated = store.repos.put({ ...rest, ...(hosts.length > 0 ? { renderHosts: hosts } : {}) });
      changed(...repoKeys(updated.name));
      return redact(repoView(store, updated));
    },
  );
  api.delete(
    '/repos/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Remove a repo (refused while environments or targets use it)',
        tags: ['repos'],
        params: S.NameParams,
        response: { 204: noContent('Removed'), 409: errorReply('Environments or targets use it') },
      },
    },
    async (req, reply) => {
      if (!store.repos.delete(req.params.name))
        throw ApiError.notFound(`repo "${req.params.name}" does not exist`, REPO_HINT);
      changed();
      return reply.code(204).send();
    },
  );
  api.post(
    '/repos/:name/sync',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Fetch a repo now (as a webhook would)',
        tags: ['repos'],
        params: S.NameParams,
        response: {
          202: S.RepoSyncResponse,
        },
      },
    },
    async (req, reply) => {
      found(store.repos.get(req.params.name), `repo "${req.params.name}"`, REPO_HINT);
      deps.engine?.refreshRepos();
      const triggered = deps.trigger(req.params.name);
      return reply.code(202).send({ triggered });
    },
  );

  // Environments
  const envView = (name: string) =>
    environmentView(
      store,
      found(store.environments.get(name), `environment "${name}"`, ENV_HINT),
      store.deployments.list({ environment: name }),
    );
  api.get(
    '/environments',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List environments',
        tags: ['environments'],
        response: { 200: S.List(S.ref(S.EnvironmentView)) },
      },
    },
    async () => {
      const deployments = store.deployments.list();
      return { items: store.environments.list().map((e) => environmentView(store, e, deployments)) };
    },
  );
  api.get(
    '/environments/:name',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Get an environment',
        tags: ['environments'],
        params: S.NameParams,
        response: { 200: S.ref(S.EnvironmentView) },
      },
    },
    async (req) => envView(req.params.name),
  );
  api.post(
    '/environments',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create an environment: a branch of a repo and the clusters it deploys to',
        tags: ['environments'],
        body: S.Environment,
        response: { 201: S.ref(S.EnvironmentView), 409: errorReply('An environment of that name exists') },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (store.environments.get(b.name)) {
        throw ApiError.conflict(
          `environment "${b.name}" already exists`,
          `remove it first (fleet environments remove ${b.name})`,
        );
      }
      if (!store.repos.get(b.repo))
        throw ApiError.invalid(`repo "${b.repo}" does not exist; add it with \`fleet repos add\``, 'repo');
      if (b.group && !store.groups.get(b.group)) {
        throw ApiError.invalid(`group "${b.group}" does not exist; create it with \`fleet groups set\``, 'group');
      }
      if (b.selector !== undefined) {
        try {
          parseSelector(b.selector);
        } catch (err) {
          throw ApiError.invalid(`selector: ${err instanceof Error ? err.message : String(err)}`, 'selector');
        }
      }
      store.environments.put(b);
      changed({ kind: 'environment', environment: b.name });
      return reply.code(201).send(envView(b.name));
    },
  );
  api.delete(
    '/environments/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Remove an environment (refused while targets use it)',
        tags: ['environments'],
        params: S.NameParams,
        response: { 204: noContent('Removed'), 409: errorReply('Targets use it') },
      },
    },
    async (req, reply) => {
      if (!store.environments.delete(req.params.name)) {
        throw ApiError.notFound(`environment "${req.params.name}" does not exist`, ENV_HINT);
      }
      changed({ kind: 'environment', environment: req.params.name });
      return reply.code(204).send();
    },
  );

  // Targets
  api.get(
    '/targets',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List targets with their last render per environment',
        tags: ['targets'],
        response: { 200: S.List(S.ref(S.TargetView)) },
      },
    },
    async () => ({ items: store.targets.list().map((t) => targetView(store, t)) }),
  );
  api.get(
    '/targets/:name',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Get a target',
        tags: ['targets'],
        params: S.NameParams,
        response: { 200: S.ref(S.TargetView) },
      },
    },
    async (req) =>
      targetView(store, found(store.targets.get(req.params.name), `target "${req.params.name}"`, TARGET_HINT)),
  );
  api.post(
    '/targets',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Deploy a path of a repo to environments',
        tags: ['targets'],
        body: S.Target,
        response: { 201: S.ref(S.TargetView), 409: errorReply('A target of that name exists') },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (store.targets.get(b.name)) {
        throw ApiError.conflict(
          `target "${b.name}" already exists`,
          `remove it first (fleet targets remove ${b.name})`,
        );
      }
      if (!store.repos.get(b.repo))
        throw ApiError.invalid(`repo "${b.repo}" does not exist; add it with \`fleet repos add\``, 'repo');
      for (const e of b.environments) {
        const env = store.environments.get(e);
        if (!env)
          throw ApiError.invalid(
            `environment "${e}" does not exist; create it with \`fleet environments create\``,
            'environments',
          );
        if (env.repo !== b.repo) {
          throw ApiError.invalid(`environment "${e}" follows repo "${env.repo}", not "${b.repo}"`, 'environments');
        }
      }
      try {
        safeRepoPath(b.path, b.repo);
      } catch (err) {
        throw ApiError.invalid(`path: ${err instanceof Error ? err.message : String(err)}`, 'path');
      }
      checkValuesFiles(b.options as TargetOptions | undefined);
      const t = store.targets.put({
        name: b.name,
        repo: b.repo,
        path: b.path,
        environments: b.environments,
        ...(b.options ? { options: b.options as JsonObject } : {}),
      });
      changed({ kind: 'target', target: t.name });
      return reply.code(201).send(targetView(store, t));
    },
  );
  api.delete(
    '/targets/:name',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Remove a target: its objects are pruned from the clusters (unless prune is off), or left with orphan',
        description:
          'Answers, once a reconcile has removed its deployments and told the agents, with what went where ' +
          '(each cluster and its object count): the agents delete the objects, or with `orphan=true` forget ' +
          'them and leave them in place. With `dryRun=true` only the answer: nothing is removed.',
        tags: ['targets'],
        params: S.NameParams,
        querystring: S.TargetRemoveQuery,
        response: { 200: S.ref(S.TargetRemovalView) },
      },
    },
    async (req) => {
      const { name } = req.params;
      if (!store.targets.get(name)) throw ApiError.notFound(`target "${name}" does not exist`, TARGET_HINT);
      const view = removalView(store, name, req.query.orphan === true);
      if (req.query.dryRun === true) return view;
      store.targets.markRemoved(name, { orphan: view.orphan, requestedAt: new Date().toISOString() });
      changed({ kind: 'target', target: name });
      // The pass over the target removes its deployments and the target (the agents hear of it from
      // the store): done when this answers.
      if (deps.engine) await deps.engine.idle();
      else store.targets.delete(name);
      return view;
    },
  );
}

/** What removing a target takes from which cluster: its deployments and their bundles' object counts. */
function removalView(store: Store, target: string, orphan: boolean): TargetRemovalView {
  const deployments = store.deployments.list({ target }).map((d) => ({
    cluster: d.cluster,
    environment: d.environment,
    objects: store.bundles.get(d.bundle)?.objectCount ?? 0,
  }));
  return { target, orphan, deployments, objects: deployments.reduce((n, d) => n + d.objects, 0) };
}

function checkRenderHosts(repo: string, hosts: readonly string[] | undefined): void {
  for (const [i, h] of (hosts ?? []).entries()) {
    const problem = hostEntryProblem(h);
    if (problem) throw ApiError.invalid(`repo "${repo}": renderHosts[${i}] "${h}" ${problem}`, `renderHosts/${i}`);
  }
}

/** The URL and auth of a new repo, against the hub's credential policy: 400 naming the field. */
function checkRepoSettings(b: RepoCreateRequest, envPrefix: string): void {
  checkRenderHosts(b.name, b.renderHosts);
  for (const [field, check] of [
    ['url', () => checkRepoUrl(b.url)],
    ['auth', () => checkRepoAuth(b.auth, envPrefix)],
  ] as const) {
    try {
      check();
    } catch (err) {
      throw ApiError.invalid(`repo "${b.name}": ${err instanceof Error ? err.message : String(err)}`, field);
    }
  }
}

/**
 * The variable or secrets file a repo's auth names must exist now, as its fetches will read it: a
 * repo whose credentials cannot be found is refused (400) rather than failing every fetch quietly.
 */
function checkCredentialSources(deps: ApiDeps, repo: { name: string; url: string; auth?: Record<string, string> }) {
  try {
    deps.engine?.sources.credentialsOf(repo);
  } catch (err) {
    if (!(err instanceof RepoCredentialError)) throw err;
    throw ApiError.invalid(err.message, 'auth');
  }
}

/**
 * Sealed credentials never leave the hub, not even sealed; nor do credentials in the URL of a repo
 * stored before they were refused (its fetches fail, saying so).
 */
function redact(v: RepoView): RepoView {
  const url = displayRepoUrl(v.url);
  if (!v.auth) return { ...v, url };
  return {
    ...v,
    url,
    auth: Object.fromEntries(
      Object.entries(v.auth).map(([k, x]) => [k, SEALED_AUTH_KEYS.includes(k) ? '(sealed)' : x]),
    ),
  };
}
