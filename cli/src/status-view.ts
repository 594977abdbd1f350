import type { FleetEvent, StatusView } from '@flotilla/proto/api';
import { age, short, stateRank, table, worstFirst } from './format.js';
import { retryText } from './views.js';

type EnvStatus = StatusView['environments'][number];
type ClusterStatus = EnvStatus['clusters'][number];

interface StatusRow {
  environment: EnvStatus;
  cluster: ClusterStatus | undefined;
}

/** Rows of environments × clusters, worst environment first and worst cluster first within it. */
export function statusRows(view: StatusView): StatusRow[] {
  return worstFirst(
    view.environments,
    (e) => e.state,
    (e) => e.name,
  ).flatMap((environment): StatusRow[] => {
    const clusters = worstFirst(
      environment.clusters,
      (c) => c.state,
      (c) => c.cluster,
    );
    return clusters.length === 0
      ? [{ environment, cluster: undefined }]
      : clusters.map((cluster) => ({ environment, cluster }));
  });
}

/** The targets' revisions as one value: the commit when they agree, `mixed` when a rollout is under way. */
export function revisionOf(c: ClusterStatus | undefined): string | undefined {
  const revs = new Set((c?.targets ?? []).map((t) => t.revision).filter((r) => r !== undefined));
  if (revs.size === 0) return undefined;
  return revs.size === 1 ? short([...revs][0]) : 'mixed';
}

/** The first thing worth reading about a cluster that is not Ready: its worst target and message. */
export function problemOf(c: ClusterStatus | undefined, now: Date = new Date()): string | undefined {
  const bad = worstFirst(
    c?.targets ?? [],
    (t) => t.state,
    (t) => t.target,
  ).find((t) => t.state !== 'Ready');
  if (!bad) return undefined;
  const retry = bad.retry ? ` (retry ${retryText(bad.retry, now)})` : '';
  return `${bad.target}: ${bad.state}${retry}${bad.message ? ` ${bad.message}` : ''}`;
}

export function statusTable(view: StatusView, now: Date = new Date()): string {
  const rows = statusRows(view);
  const count = `${view.environments.length} environment${view.environments.length === 1 ? '' : 's'}`;
  const header =
    view.nothingDeployed !== undefined
      ? `Fleet: nothing deployed yet (${view.nothingDeployed})`
      : `Fleet: ${view.state} (${count})`;
  if (rows.length === 0) {
    return `${header}\nNo environments yet: create one with \`fleet environments create\`.${repoErrorsText(view, now)}`;
  }
  const body = table(rows, [
    { header: 'environment', value: (r) => r.environment.name },
    { header: 'commit', value: (r) => short(r.environment.commit) },
    { header: 'cluster', value: (r) => r.cluster?.cluster ?? '(no clusters)' },
    { header: 'condition', value: (r) => r.cluster?.condition },
    { header: 'state', value: (r) => r.cluster?.state ?? r.environment.state },
    { header: 'revision', value: (r) => revisionOf(r.cluster) },
    { header: 'targets', value: (r) => targetsSummary(r.cluster) },
    { header: 'seen', value: (r) => age(r.cluster?.lastSeenAt, now) },
    { header: 'message', value: (r) => problemOf(r.cluster, now) },
  ]);
  return `${header}\n${body}${problemsText(view)}${repoErrorsText(view, now)}`;
}

/** Repos the hub cannot fetch: nothing new is deployed from them until they answer again. */
function repoErrorsText(view: StatusView, now: Date): string {
  if (!view.repoErrors?.length) return '';
  const rows = table(view.repoErrors, [
    { header: 'repo', value: (r) => r.repo },
    { header: 'branch', value: (r) => r.branch },
    { header: 'since', value: (r) => age(r.since, now) },
    { header: 'error', value: (r) => r.message },
  ]);
  return `\n\nRepos the hub cannot fetch (what was fetched before stays deployed):\n${rows}`;
}

/** Renders that failed or were refused: deployed nowhere new until fixed, named with why. */
function problemsText(view: StatusView): string {
  if (!view.problems?.length) return '';
  const rows = table(view.problems, [
    { header: 'target', value: (p) => p.target },
    { header: 'environment', value: (p) => p.environment },
    { header: 'commit', value: (p) => short(p.commit) },
    { header: 'not deployed because', value: (p) => p.message },
  ]);
  return `\n\nNot deployed (what was deployed before stays):\n${rows}`;
}

function targetsSummary(c: ClusterStatus | undefined): string | undefined {
  if (!c || c.targets.length === 0) return undefined;
  const ready = c.targets.filter((t) => t.state === 'Ready').length;
  return `${ready}/${c.targets.length}`;
}

/** Whether everything in the view is Ready (for `status --exit-status`): a fleet with nothing deployed is not. */
export function allReady(view: StatusView): boolean {
  if (view.nothingDeployed !== undefined) return false;
  return stateRank(view.state) === 0 && view.environments.every((e) => stateRank(e.state) === 0);
}

/** One event as one line, for `fleet events` and `--follow` (columns fixed so that lines stream). */
export function eventLine(e: FleetEvent): string {
  const subject = [
    e.environment && `env=${e.environment}`,
    e.cluster && `cluster=${e.cluster}`,
    e.target && `target=${e.target}`,
    e.repo && `repo=${e.repo}`,
  ]
    .filter(Boolean)
    .join(' ');
  const payload = Object.keys(e.payload ?? {}).length > 0 ? ` ${compact(e.payload)}` : '';
  const actor = e.actor ? ` by ${e.actor}` : '';
  return `${String(e.id).padStart(6)}  ${e.at}  ${e.kind.padEnd(18)}  ${subject}${actor}${payload}`;
}

function compact(payload: Record<string, unknown>): string {
  return Object.entries(payload)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/^[0-9a-f]{40}$/.test(v) ? short(v) : v) : JSON.stringify(v)}`)
    .join(' ');
}

export function eventsTable(items: readonly FleetEvent[]): string {
  if (items.length === 0) return 'No events.';
  return [...items]
    .sort((a, b) => a.id - b.id)
    .map(eventLine)
    .join('\n');
}
