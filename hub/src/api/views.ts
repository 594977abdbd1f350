import { BUNDLE_STATES, worstState, type BundleStateName } from '@flotilla/proto';
import type {
  BundleObject,
  ClusterSummary,
  DeploymentView,
  DriftView,
  EnvironmentView,
  FleetEvent as ApiEvent,
  RepoView,
  StatusView,
  TargetView,
} from '@flotilla/proto/api';
import { clusterCondition } from '../status/rollup.js';
import type { Cluster, Deployment, Environment, FleetEvent, Group, Repo, Store, Target } from '../store/index.js';
import { matches, parseSelector } from '../target/selector.js';

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
  };
}

export function clusterSummary(
  c: Cluster,
  deployments: readonly Deployment[],
  now: Date,
  staleAfterMs: number,
): ClusterSummary {
  return {
    name: c.name,
    labels: { ...c.labels },
    condition: clusterCondition(c, now, staleAfterMs),
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
  const group = env.group ? groups.find((g) => g.name === env.group) : undefined;
  if (env.group && !group) return [];
  const reqs = [...(group ? parseSelector(group.selector) : []), ...(env.selector ? parseSelector(env.selector) : [])];
  return clusters.filter((c) => !c.revokedAt && matches(reqs, c.labels)).map((c) => c.name);
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
  };
}

export function repoView(store: Store, r: Repo): RepoView {
  return {
    name: r.name,
    url: r.url,
    ...(r.auth ? { auth: { ...r.auth } } : {}),
    pollIntervalSeconds: r.pollIntervalSeconds,
    webhook: Boolean(r.webhookSecretSealed),
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
export function statusView(store: Store, now: Date, staleAfterMs: number, onlyEnvironment?: string): StatusView {
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
        condition: c ? clusterCondition(c, now, staleAfterMs) : ('NeverSeen' as const),
        ...(c?.lastSeenAt ? { lastSeenAt: c.lastSeenAt } : {}),
        state: worstState(ds.map((d) => d.state)),
        targets: ds
          .map((d) => ({
            target: d.target,
            state: d.state,
            ...(d.revision ? { revision: d.revision } : {}),
            message: d.message,
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
  return { state: worstState(environments.map((e) => e.state)), environments };
}

export function eventView(e: FleetEvent): ApiEvent {
  return { ...e, payload: { ...e.payload } };
}

/**
 * Drift per object from DriftDetected / DriftCorrected events, oldest first. Current drift is an
 * object whose latest report is a detection not followed by a correction.
 */
export function driftViews(events: readonly FleetEvent[], history: boolean): DriftView[] {
  const out: DriftView[] = [];
  const open = new Map<string, DriftView>();
  for (const e of events) {
    const object = typeof e.payload.object === 'string' ? e.payload.object : '';
    const key = `${e.cluster ?? ''}|${e.environment ?? ''}|${e.target ?? ''}|${object}`;
    const manager = typeof e.payload.manager === 'string' && e.payload.manager ? e.payload.manager : undefined;
    const view = (corrected: boolean): DriftView => ({
      cluster: e.cluster ?? '',
      ...(e.target ? { target: e.target } : {}),
      ...(e.environment ? { environment: e.environment } : {}),
      object,
      fields: Array.isArray(e.payload.fields) ? e.payload.fields : [],
      ...(manager ? { manager } : {}),
      detectedAt: e.at,
      corrected,
      ...(corrected ? { correctedAt: e.at } : {}),
      eventId: e.id,
    });
    if (e.kind === 'DriftDetected') {
      const v = view(false);
      out.push(v);
      open.set(key, v);
    } else if (e.kind === 'DriftCorrected') {
      const v = open.get(key);
      if (v) {
        v.corrected = true;
        v.correctedAt = e.at;
        open.delete(key);
      } else {
        // A correction whose detection is older than the window read (or self-heal reported both at once).
        out.push(view(true));
      }
    }
  }
  return history ? out : out.filter((v) => !v.corrected);
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
