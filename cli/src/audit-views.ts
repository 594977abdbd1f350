// The human (table) view of drift, promotions, rollbacks and API tokens: the audit side of the API.
import type { ApiTokenView, DriftView, Promotion, Rollback } from '@flotilla/proto/api';
import { age, byName, short, table } from './format.js';

const now = () => new Date();

export function driftTable(items: readonly DriftView[]): string {
  if (items.length === 0) return 'No drift.';
  return table(
    [...items].sort((a, b) => Number(a.corrected) - Number(b.corrected) || b.eventId - a.eventId),
    [
      { header: 'cluster', value: (d) => d.cluster },
      { header: 'object', value: (d) => d.object },
      { header: 'target', value: (d) => d.target },
      { header: 'environment', value: (d) => d.environment },
      { header: 'manager', value: (d) => d.manager },
      { header: 'detected', value: (d) => age(d.detectedAt, now()) },
      { header: 'corrected', value: (d) => (d.corrected ? (age(d.correctedAt, now()) ?? 'yes') : 'no') },
      { header: 'fields', value: (d) => fieldsText(d.fields) },
    ],
  );
}

function fieldsText(fields: readonly unknown[]): string {
  return fields
    .map((f) => (typeof f === 'string' ? f : ((f as { path?: string }).path ?? JSON.stringify(f))))
    .join(',');
}

export function promotionsTable(items: readonly Promotion[]): string {
  return table(
    [...items].sort((a, b) => b.id - a.id),
    [
      { header: 'id', value: (p) => p.id },
      { header: 'from', value: (p) => p.from },
      { header: 'to', value: (p) => p.to },
      { header: 'kind', value: (p) => p.kind },
      { header: 'commit', value: (p) => short(p.commit) },
      { header: 'commits', value: (p) => p.commits.length },
      { header: 'actor', value: (p) => p.actor },
      { header: 'at', value: (p) => p.at },
    ],
    'No promotions.',
  );
}

export function promotionText(p: Promotion): string {
  if (p.kind === 'up-to-date') return `${p.to} is already up to date with ${p.from} (${short(p.commit)}).`;
  const how = p.kind === 'fast-forward' ? 'fast-forwarded' : 'merged';
  const n = p.commits.length;
  return `Promoted ${p.from} → ${p.to}: ${how} ${short(p.previousCommit)}..${short(p.commit)} (${n} commit${n === 1 ? '' : 's'}).`;
}

export function rollbacksTable(items: readonly Rollback[]): string {
  return table(
    [...items].sort((a, b) => b.id - a.id),
    [
      { header: 'id', value: (r) => r.id },
      { header: 'environment', value: (r) => r.environment },
      { header: 'branch', value: (r) => r.branch },
      { header: 'restored', value: (r) => short(r.restoredCommit) },
      { header: 'commit', value: (r) => short(r.commit) },
      { header: 'actor', value: (r) => r.actor },
      { header: 'at', value: (r) => r.at },
    ],
    'No rollbacks.',
  );
}

export function rollbackText(r: Rollback): string {
  return `Rolled back ${r.environment} (branch ${r.branch}) to the tree of ${short(r.restoredCommit)}: new commit ${short(r.commit)} (was ${short(r.previousCommit)}).`;
}

export function tokensTable(items: readonly ApiTokenView[]): string {
  return table(
    byName(items),
    [
      { header: 'name', value: (t) => t.name },
      { header: 'role', value: (t) => t.role },
      { header: 'created by', value: (t) => t.createdBy },
      { header: 'created', value: (t) => age(t.createdAt, now()) },
      { header: 'expires', value: (t) => t.expiresAt },
      { header: 'last used', value: (t) => age(t.lastUsedAt, now()) },
      { header: 'revoked', value: (t) => t.revokedAt },
    ],
    'No API tokens.',
  );
}
