// The human (table) view of each API shape. JSON and YAML print the API shapes unchanged.
import { deploymentKeyOf } from '@flotilla/common';
import type {
  BundleDetail,
  BundleView,
  ClusterDetail,
  ClusterSummary,
  DeploymentView,
  EnvironmentView,
  GroupDetail,
  RepoView,
  TargetRemovalView,
  TargetView,
} from '@flotilla/proto/api';
import { age, byName, bytes, details, labelsText, list, section, short, table, until, worstFirst } from './format.js';

const now = () => new Date();

export function clustersTable(items: readonly ClusterSummary[]): string {
  return table(
    worstFirst(
      items,
      (c) => c.state,
      (c) => c.name,
    ),
    [
      { header: 'name', value: (c) => c.name },
      { header: 'state', value: (c) => c.state },
      { header: 'condition', value: (c) => c.condition },
      { header: 'deployments', value: (c) => c.deployments },
      { header: 'last seen', value: (c) => age(c.lastSeenAt, now()) },
      { header: 'agent', value: (c) => c.agentVersion },
      { header: 'labels', value: (c) => labelsText(c.labels) },
    ],
    'No clusters.',
  );
}

export function clusterDetail(c: ClusterDetail): string {
  return [
    details([
      ['Name', c.name],
      ['State', c.state],
      ['Condition', c.condition],
      ['Registered', c.registered ? 'yes' : 'no'],
      ['Labels', labelsText(c.labels)],
      ['Groups', list(c.groups)],
      ['Environments', list(c.environments)],
      ['Last seen', c.lastSeenAt],
      ['Revoked', c.revokedAt],
      ['Agent', c.agentVersion],
      ['Kubernetes', c.kubernetesVersion],
      ['Created', c.createdAt],
    ]),
    section('Deployments', c.deploymentList.length > 0 ? deploymentsTable(c.deploymentList) : undefined),
  ].join('\n');
}

/** A failed apply's next attempt: `#3 in 12s` (the third failure in a row; the next apply in 12 s). */
export function retryText(r: DeploymentView['retry'], at: Date = now()): string | undefined {
  return r && `#${r.attempt} ${until(r.at, at)}`;
}

/**
 * One row per deployment, worst first; READY counts its objects (ready/total) as the agent last
 * reported them. Below, the objects that hold deployments back, each with its health and why.
 */
export function deploymentsTable(items: readonly DeploymentView[]): string {
  const rows = worstFirst(items, (d) => d.state, deploymentKeyOf);
  const main = table(
    rows,
    [
      { header: 'cluster', value: (d) => d.cluster },
      { header: 'environment', value: (d) => d.environment },
      { header: 'target', value: (d) => d.target },
      { header: 'state', value: (d) => d.state },
      { header: 'ready', value: (d) => d.objects && `${d.objects.ready}/${d.objects.total}` },
      { header: 'retry', value: (d) => retryText(d.retry) },
      { header: 'revision', value: (d) => short(d.revision) },
      { header: 'bundle', value: (d) => short(d.bundle, 12) },
      { header: 'age', value: (d) => age(d.updatedAt, now()) },
      { header: 'message', value: (d) => d.message },
    ],
    'No deployments.',
  );
  const behind = rows.flatMap((d) => {
    const o = d.objects;
    if (!o || o.notReady.length === 0) return [];
    const where = deploymentKeyOf(d);
    const listed = o.notReady.map((n) => ({
      where,
      object: `${n.kind}/${n.namespace ? `${n.namespace}/` : ''}${n.name}`,
      state: n.state,
      health: n.health,
      message: n.message,
    }));
    const unlisted = o.total - o.ready - o.notReady.length;
    return unlisted > 0
      ? [...listed, { where, object: `(and ${unlisted} more)`, state: '', health: '', message: '' }]
      : listed;
  });
  if (behind.length === 0) return main;
  const objects = table(behind, [
    { header: 'deployment', value: (b) => b.where },
    { header: 'object', value: (b) => b.object },
    { header: 'state', value: (b) => b.state },
    { header: 'health', value: (b) => b.health },
    { header: 'message', value: (b) => b.message },
  ]);
  return `${main}\n${section('Objects not ready', objects)}`;
}

export function groupsTable(items: readonly GroupDetail[]): string {
  return table(
    byName(items),
    [
      { header: 'name', value: (g) => g.name },
      { header: 'selector', value: (g) => g.selector },
      { header: 'clusters', value: (g) => g.clusters.length },
    ],
    'No groups.',
  );
}

export function groupDetail(g: GroupDetail): string {
  return details([
    ['Name', g.name],
    ['Selector', g.selector],
    ['Clusters', list(g.clusters)],
  ]);
}

export function reposTable(items: readonly RepoView[]): string {
  return table(
    byName(items),
    [
      { header: 'name', value: (r) => r.name },
      { header: 'state', value: (r) => r.state },
      { header: 'url', value: (r) => r.url },
      { header: 'poll', value: (r) => `${r.pollIntervalSeconds}s` },
      { header: 'webhook', value: (r) => (r.webhook ? 'yes' : 'no') },
      { header: 'branches', value: (r) => r.branches.map((b) => `${b.branch}@${short(b.commit) ?? '?'}`).join(',') },
      { header: 'error', value: (r) => r.error ?? r.branches.find((b) => b.error)?.error },
    ],
    'No repos.',
  );
}

export function repoDetail(r: RepoView): string {
  return [
    details([
      ['Name', r.name],
      ['URL', r.url],
      ['Auth', r.auth ? labelsText(r.auth) : undefined],
      ['Poll interval', `${r.pollIntervalSeconds}s`],
      ['Webhook', r.webhook ? 'yes' : 'no'],
      ['Render hosts', (r.renderHosts ?? []).length > 0 ? r.renderHosts.join(', ') : 'none (helm.repo refused)'],
      ['State', r.state],
      ['Error', r.error],
    ]),
    section(
      'Branches',
      r.branches.length === 0
        ? undefined
        : table(r.branches, [
            { header: 'branch', value: (b) => b.branch },
            { header: 'commit', value: (b) => short(b.commit) },
            { header: 'fetched', value: (b) => age(b.fetchedAt, now()) },
            { header: 'error', value: (b) => b.error },
          ]),
    ),
  ].join('\n');
}

export function environmentsTable(items: readonly EnvironmentView[]): string {
  return table(
    worstFirst(
      items,
      (e) => e.state,
      (e) => e.name,
    ),
    [
      { header: 'name', value: (e) => e.name },
      { header: 'state', value: (e) => e.state },
      { header: 'repo', value: (e) => e.repo },
      { header: 'branch', value: (e) => e.branch },
      { header: 'commit', value: (e) => short(e.commit) },
      { header: 'clusters', value: (e) => e.clusters.length },
      { header: 'selects', value: (e) => (e.group ? `group ${e.group}` : e.selector) },
      { header: 'promotes to', value: (e) => e.promotesTo },
    ],
    'No environments.',
  );
}

/** `branchNote`: why it is this branch, when the user did not choose it. */
export function environmentDetail(e: EnvironmentView, branchNote?: string): string {
  return details([
    ['Name', e.name],
    ['State', e.state],
    ['Repo', e.repo],
    ['Branch', branchNote ? `${e.branch} (${branchNote})` : e.branch],
    ['Commit', e.commit],
    ['Group', e.group],
    ['Selector', e.selector],
    ['Promotes to', e.promotesTo],
    ['Clusters', list(e.clusters)],
  ]);
}

export function targetsTable(items: readonly TargetView[]): string {
  return table(
    byName(items),
    [
      { header: 'name', value: (t) => t.name },
      { header: 'repo', value: (t) => t.repo },
      { header: 'path', value: (t) => t.path },
      { header: 'environments', value: (t) => list(t.environments) },
      { header: 'failing', value: (t) => list(t.renders.filter((r) => r.error).map((r) => r.environment)) },
    ],
    'No targets.',
  );
}

/** What `targets remove` did (or, with --dry-run, would do): each cluster and its object count. */
export function removalText(r: TargetRemovalView, dryRun = false): string {
  const clusters = new Set(r.deployments.map((d) => d.cluster)).size;
  const head = dryRun ? `Would remove target ${r.target}` : `Removed target ${r.target}`;
  if (r.deployments.length === 0)
    return `${head}. It is deployed nowhere: no object to ${r.orphan ? 'leave' : 'delete'}.`;
  const what = r.orphan
    ? `its objects stay on the clusters; the agents forget them`
    : `the agents delete its objects (those another target holds, or marked flotilla.dev/prune: disabled, stay)`;
  const rows = table(r.deployments, [
    { header: 'cluster', value: (d) => d.cluster },
    { header: 'environment', value: (d) => d.environment },
    { header: r.orphan ? 'objects left' : 'objects deleted', value: (d) => d.objects },
  ]);
  const total = `${r.objects} object${r.objects === 1 ? '' : 's'} on ${clusters} cluster${clusters === 1 ? '' : 's'}.`;
  return `${head}: ${what}.\n${rows}\n${total}`;
}

export function targetDetail(t: TargetView): string {
  return [
    details([
      ['Name', t.name],
      ['Repo', t.repo],
      ['Path', t.path],
      ['Environments', list(t.environments)],
      ['Options', Object.keys(t.options ?? {}).length > 0 ? JSON.stringify(t.options) : undefined],
      [
        'Removing',
        t.removing ? `since ${t.removing.requestedAt}${t.removing.orphan ? ' (orphan: objects stay)' : ''}` : undefined,
      ],
    ]),
    section(
      'Renders',
      t.renders.length === 0
        ? undefined
        : table(t.renders, [
            { header: 'environment', value: (r) => r.environment },
            { header: 'state', value: (r) => r.state },
            { header: 'commit', value: (r) => short(r.commit) },
            { header: 'age', value: (r) => age(r.updatedAt, now()) },
            { header: 'error', value: (r) => r.error },
          ]),
    ),
  ].join('\n');
}

export function bundlesTable(items: readonly BundleView[]): string {
  return table(
    [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    [
      { header: 'digest', value: (b) => short(b.digest, 12) },
      { header: 'objects', value: (b) => b.objectCount },
      { header: 'size', value: (b) => bytes(b.size) },
      { header: 'used by', value: (b) => b.usedBy.length },
      { header: 'targets', value: (b) => list([...new Set(b.usedBy.map((u) => `${u.target}@${u.environment}`))]) },
      { header: 'age', value: (b) => age(b.createdAt, now()) },
    ],
    'No bundles.',
  );
}

export function bundleDetail(b: BundleDetail): string {
  return [
    details([
      ['Digest', b.digest],
      ['Objects', b.objectCount],
      ['Size', bytes(b.size)],
      ['Created', b.createdAt],
    ]),
    section(
      'Used by',
      b.usedBy.length === 0
        ? undefined
        : table(b.usedBy, [
            { header: 'cluster', value: (u) => u.cluster },
            { header: 'environment', value: (u) => u.environment },
            { header: 'target', value: (u) => u.target },
          ]),
    ),
    section(
      'Objects',
      b.objects.length === 0
        ? undefined
        : table(b.objects, [
            { header: 'kind', value: (o) => o.kind },
            { header: 'api version', value: (o) => o.apiVersion },
            { header: 'namespace', value: (o) => o.namespace },
            { header: 'name', value: (o) => o.name },
          ]),
    ),
  ].join('\n');
}
