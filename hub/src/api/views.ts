import { BUNDLE_STATES, worstState, type BundleStateName } from '@flotilla/proto';
import type {
  BundleObject,
  ClusterSummary,
  DeploymentView,
  DriftView,
  EnvironmentView,
  FleetEvent as ApiEvent,
  Page,
  RepoView,
  StatusView,
  TargetView,
} from '@flotilla/proto/api';
import { clusterCondition, type Liveness } from '../status/rollup.js';
import type { Cluster, Deployment, Environment, FleetEvent, Group, Repo, Store, Target } from '../store/index.js';
import { matches, parseSelector } from '../target/selector.js';
import { environmentMembers } from '../target/targeting.js';

/** Pure views of the store for the API: no I/O beyond the store reads passed in. */

export function deploymentView(d: Deployment): DeploymentView {
  return {
    cluster: d.cluster,
    target: d.target,
    environment: d.environment,
    bundle: d.bundle,
    ...(d.revision ? { revision: d.revision } : {}),
    generation: d.generation,
    state: d.state,
    message: d.message,
    updatedAt: d.updatedAt,
    ...(d.objects ? { objects: d.objects } : {}),
    ...(d.retry ? { retry: { ...d.retry } } : {}),
  };
}

export function clusterSummary(c: Cluster, deployments: readonly Deployment[], liveness: Liveness): ClusterSummary {
  return {
    name: c.name,
    labels: { ...c.labels },
    condition: clusterCondition(c, liveness),
    registered: Boolean(c.credentialHash) && !c.revokedAt,
    ...(c.lastSeenAt ? { lastSeenAt: c.lastSeenAt } : {}),
    ...(c.revokedAt ? { revokedAt: c.revokedAt } : {}),
    ...(c.agentVersion ? { agentVersion: c.agentVersion } : {}),
    ...(c.kubernetesVersion ? { kubernetesVersion: c.kubernetesVersion } : {}),
    createdAt: c.createdAt,
    state: worstState(deployments.map((d) => d.state)),
    deployments: deployments.length,
  };
}

export function groupClusters(group: Group, clusters: readonly Cluster[]): string[] {
  const reqs = parseSelector(group.selector);
  return clusters.filter((c) => matches(reqs, c.labels)).map((c) => c.name);
}

/** The clusters an environment deploys to: its group's selector and its own, both when both are set. */
export function environmentClusters(
  env: Environment,
  groups: readonly Group[],
  clusters: readonly Cluster[],
): string[] {
  // Placement's own rule (an environment with neither group nor selector deploys nowhere), so
  // what the API shows is what the hub deploys.
  return environmentMembers(
    env,
    clusters.filter((c) => !c.revokedAt),
    groups,
  ).map((c) => c.name);
}

export function environmentView(store: Store, env: Environment, deployments: readonly Deployment[]): EnvironmentView {
  const mine = deployments.filter((d) => d.environment === env.name);
  const commit = store.repos.getBranch(env.repo, env.branch)?.commit;
  return {
    ...env,
    ...(commit ? { commit } : {}),
    state: worstState(mine.map((d) => d.state)),
    clusters: environmentClusters(env, store.groups.list(), store.clusters.list()),
  };
}

export function targetView(store: Store, t: Target): TargetView {
  return {
    name: t.name,
    repo: t.repo,
    path: t.path,
    environments: [...t.environments],
    options: { ...t.options },
    renders: store.renderStatus.list({ target: t.name }).map((r) => ({
      environment: r.environment,
      state: r.state,
      commit: r.commit,
      ...(r.message ? { error: r.message } : {}),
      updatedAt: r.updatedAt,
    })),
    ...(t.removal ? { removing: { ...t.removal } } : {}),
  };
}

export function repoView(store: Store, r: Repo): RepoView {
  return {
    name: r.name,
    url: r.url,
    ...(r.auth ? { auth: { ...r.auth } } : {}),
    pollIntervalSeconds: r.pollIntervalSeconds,
    webhook: Boolean(r.webhookSecretSealed),
    renderHosts: [...(r.renderHosts ?? [])],
    state: r.error ? 'Failed' : r.reachedAt ? 'Reachable' : 'Unchecked',
    ...(r.reachedAt ? { reachedAt: r.reachedAt } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.errorAt ? { errorAt: r.errorAt } : {}),
    branches: store.repos.listBranches(r.name).map((b) => ({
      branch: b.branch,
      ...(b.commit ? { commit: b.commit } : {}),
      ...(b.fetchedAt ? { fetchedAt: b.fetchedAt } : {}),
      ...(b.error ? { error: b.error } : {}),
      ...(b.errorAt ? { errorAt: b.errorAt } : {}),
    })),
  };
}

const rank = (s: BundleStateName) => BUNDLE_STATES.indexOf(s);
const worstFirst = <T extends { state: BundleStateName }>(a: T, b: T) => rank(b.state) - rank(a.state);

/** Environments × clusters, each with its targets; the worst state first at every level. */
export function statusView(store: Store, liveness: Liveness, onlyEnvironment?: string): StatusView {
  const deployments = store.deployments.list(onlyEnvironment ? { environment: onlyEnvironment } : {});
  const clusters = new Map(store.clusters.list().map((c) => [c.name, c]));
  const envs = store.environments.list().filter((e) => !onlyEnvironment || e.name === onlyEnvironment);
  const environments = envs.map((env) => {
    const mine = deployments.filter((d) => d.environment === env.name);
    const names = [...new Set([...mine.map((d) => d.cluster)])];
    const rows = names.map((name) => {
      const ds = mine.filter((d) => d.cluster === name);
      const c = clusters.get(name);
      return {
        cluster: name,
        condition: c ? clusterCondition(c, liveness) : ('NeverSeen' as const),
        ...(c?.lastSeenAt ? { lastSeenAt: c.lastSeenAt } : {}),
        state: worstState(ds.map((d) => d.state)),
        targets: ds
          .map((d) => ({
            target: d.target,
            state: d.state,
            ...(d.revision ? { revision: d.revision } : {}),
            message: d.message,
            ...(d.retry ? { retry: { ...d.retry } } : {}),
          }))
          .sort((a, b) => worstFirst(a, b) || a.target.localeCompare(b.target)),
      };
    });
    rows.sort((a, b) => worstFirst(a, b) || a.cluster.localeCompare(b.cluster));
    const commit = store.repos.getBranch(env.repo, env.branch)?.commit;
    return {
      name: env.name,
      branch: env.branch,
      ...(commit ? { commit } : {}),
      state: worstState(rows.map((r) => r.state)),
      clusters: rows,
    };
  });
  environments.sort((a, b) => worstFirst(a, b) || a.name.localeCompare(b.name));
  const problems = store.renderStatus
    .list(onlyEnvironment ? { environment: onlyEnvironment } : {})
    .filter((r) => r.state === 'Failed')
    .map((r) => ({
      target: r.target,
      environment: r.environment,
      ...(r.commit ? { commit: r.commit } : {}),
      message: r.message,
    }));
  const repoErrors = repoErrorsOf(store, envs, onlyEnvironment === undefined);
  return {
    state: worstState(environments.map((e) => e.state)),
    environments,
    ...(problems.length > 0 ? { problems } : {}),
    ...(deployments.length === 0 ? { nothingDeployed: whyNothingDeployed(store, envs) } : {}),
    ...(repoErrors.length > 0 ? { repoErrors } : {}),
  };
}

/** What is missing for anything to be deployed: each reason that holds for every environment. */
function whyNothingDeployed(store: Store, envs: readonly Environment[]): string {
  if (envs.length === 0) return 'no environments';
  const reasons: string[] = [];
  if (!envs.some((e) => store.repos.getBranch(e.repo, e.branch)?.commit)) reasons.push('no environment has a commit');
  const clusters = store.clusters.list();
  const groups = store.groups.list();
  if (!clusters.some((c) => !c.revokedAt)) reasons.push('no clusters');
  else if (!envs.some((e) => environmentClusters(e, groups, clusters).length > 0))
    reasons.push('no environment selects a cluster');
  const names = new Set(envs.map((e) => e.name));
  if (!store.targets.list().some((t) => t.environments.some((e) => names.has(e)))) reasons.push('no targets');
  return reasons.length > 0 ? reasons.join(', ') : 'nothing rendered yet';
}

/**
 * The repos the hub cannot fetch (every repo, or those of these environments): the repo's own error,
 * else the errors of the branches these environments follow.
 */
function repoErrorsOf(
  store: Store,
  envs: readonly Environment[],
  everyRepo: boolean,
): NonNullable<StatusView['repoErrors']> {
  const errors: NonNullable<StatusView['repoErrors']> = [];
  const repos = store.repos.list().filter((r) => everyRepo || envs.some((e) => e.repo === r.name));
  for (const r of repos) {
    if (r.error) {
      errors.push({ repo: r.name, message: r.error, ...(r.errorAt ? { since: r.errorAt } : {}) });
      continue;
    }
    const followed = new Set(envs.filter((e) => e.repo === r.name).map((e) => e.branch));
    for (const b of store.repos.listBranches(r.name)) {
      if (!b.error || !followed.has(b.branch)) continue;
      errors.push({ repo: r.name, branch: b.branch, message: b.error, ...(b.errorAt ? { since: b.errorAt } : {}) });
    }
  }
  return errors;
}

export function eventView(e: FleetEvent): ApiEvent {
  return { ...e, payload: { ...e.payload } };
}

/** Where drift pages are read from: the event log (see observe.ts), or a list in a test. */
export interface DriftSource {
  /** Drift events (DriftDetected, DriftCorrected) with an id below `before`, newest first, at most `n`. */
  older(before: number, n: number): FleetEvent[];
  /** The drift event of the same object just after or just before this one. */
  neighbor(e: FleetEvent, side: 'next' | 'prev'): FleetEvent | undefined;
}

export interface DriftPageQuery {
  /** Corrected drift too (every detection, and corrections no detection precedes). */
  history: boolean;
  limit: number;
  /** Only drift whose event id is below this (the `next.before` of the page before). */
  before?: number;
  /** At most this many events read for one page: a page may hold fewer items, and says there is more. */
  scan?: number;
}

const READ = 200;

/**
 * One page of drift, newest first from `before` and returned oldest first. Each drift report of an
 * object is paired with the one just after it (an index lookup, not a window of the log): a
 * detection followed by a correction is corrected drift; a detection followed by nothing is current;
 * a correction not preceded by a detection (self-heal reports one report, already corrected) is its
 * own item, and one preceded by a detection is shown with it.
 */
export function driftPage(src: DriftSource, q: DriftPageQuery): Page<DriftView> {
  const items: DriftView[] = [];
  const budget = q.scan ?? 5000;
  let cursor = q.before ?? Number.MAX_SAFE_INTEGER;
  let scanned = 0;
  while (items.length < q.limit && scanned < budget) {
    const chunk = src.older(cursor, Math.min(READ, budget - scanned));
    for (const e of chunk) {
      scanned++;
      cursor = e.id;
      const v = driftItem(src, e, q.history);
      if (v) items.push(v);
      if (items.length === q.limit) break;
    }
    if (chunk.length === 0) break;
  }
  const more = src.older(cursor, 1).length > 0;
  return { items: items.reverse(), more, ...(more ? { next: { before: cursor } } : {}) };
}

function driftItem(src: DriftSource, e: FleetEvent, history: boolean): DriftView | undefined {
  const object = typeof e.payload.object === 'string' ? e.payload.object : '';
  const manager = typeof e.payload.manager === 'string' && e.payload.manager ? e.payload.manager : undefined;
  const changedAt = agentTimeOf(e, 'changedAt');
  const view = (correctedAt?: string): DriftView => ({
    cluster: e.cluster ?? '',
    ...(e.target ? { target: e.target } : {}),
    ...(e.environment ? { environment: e.environment } : {}),
    object,
    fields: Array.isArray(e.payload.fields) ? e.payload.fields : [],
    ...(manager ? { manager } : {}),
    ...drift(e.payload),
    ...(changedAt ? { changedAt } : {}),
    detectedAt: agentTimeOf(e, 'detectedAt') ?? e.at,
    corrected: correctedAt !== undefined,
    ...(correctedAt !== undefined ? { correctedAt } : {}),
    reportedAt: e.at,
    eventId: e.id,
  });
  const correctedAt = (c: FleetEvent) => agentTimeOf(c, 'correctedAt') ?? c.at;
  if (e.kind === 'DriftDetected') {
    const next = src.neighbor(e, 'next');
    if (!history) return next ? undefined : view();
    return view(next?.kind === 'DriftCorrected' ? correctedAt(next) : undefined);
  }
  if (e.kind !== 'DriftCorrected' || !history) return undefined;
  return src.neighbor(e, 'prev')?.kind === 'DriftDetected' ? undefined : view(correctedAt(e));
}

/**
 * A time the agent reported, as the hub stored it (report-limits.ts agentTime: clamped to when the
 * report came), never after the event that holds it; undefined when the report has none (older hubs).
 */
function agentTimeOf(e: FleetEvent, field: 'changedAt' | 'detectedAt' | 'correctedAt'): string | undefined {
  const ms = e.payload[field];
  const at = Date.parse(e.at);
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || Number.isNaN(at)) return undefined;
  return new Date(Math.min(ms, at)).toISOString();
}

/** What the hub added to a stored drift report: that it was cut, or stands for coalesced ones. */
function drift(payload: FleetEvent['payload']): Pick<DriftView, 'truncated' | 'fieldsOmitted' | 'suppressed'> {
  const s = payload.suppressed as { reports?: unknown } | undefined;
  return {
    ...(payload.truncated === true ? { truncated: true } : {}),
    ...(typeof payload.fieldsOmitted === 'number' ? { fieldsOmitted: payload.fieldsOmitted } : {}),
    ...(typeof s?.reports === 'number' ? { suppressed: s.reports } : {}),
  };
}

/** The objects of a canonical bundle (one JSON object per line). */
export function bundleObjects(content: Buffer): BundleObject[] {
  const out: BundleObject[] = [];
  for (const line of content.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as {
      apiVersion?: string;
      kind?: string;
      metadata?: { name?: string; namespace?: string };
    };
    out.push({
      apiVersion: o.apiVersion ?? '',
      kind: o.kind ?? '',
      ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
      name: o.metadata?.name ?? '',
    });
  }
  return out;
}
