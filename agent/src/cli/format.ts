import type { CallStats } from '../kube/transport.js';
import type { BundleStateName } from '@flotilla/proto';
import type { DriftRecord } from '../deployer/drift.js';
import type { ObjectDiff } from '../deployer/diff.js';
import type { DeploymentReport } from '../deployer/report.js';
import { formatRef, type ObjectRef } from '../objects.js';
import type { ValueChange } from '../deployer/jsondiff.js';

/** `flotilla-agent apply --output json`: the change set and health of every object. */
export interface ApplyOutput {
  command: 'apply';
  /** The deployment applied, environment/target (--deployment). */
  deployment: string;
  state: BundleStateName;
  message: string;
  objects: { object: string; ref: ObjectRef; change: string; reason: string; health: string; message: string }[];
  drift: DriftRecord[];
  calls: CallStats;
  durationMs: number;
}

/** `flotilla-agent diff --output json`: what a reconcile would do, checked by server-side dry runs. */
export interface DiffOutput {
  command: 'diff';
  deployment: string;
  changed: number;
  objects: { object: string; ref: ObjectRef; action: string; reason: string; fields: ValueChange[]; error?: string }[];
}

export function applyOutput(r: DeploymentReport, calls: CallStats, durationMs: number): ApplyOutput {
  return {
    command: 'apply',
    deployment: r.deployment,
    state: r.state,
    message: r.message,
    objects: r.objects.map((o) => ({
      object: formatRef(o.ref),
      ref: o.ref,
      change: o.change,
      reason: o.reason,
      health: o.health,
      message: o.message,
    })),
    drift: r.drift,
    calls: { ...calls },
    durationMs,
  };
}

export function diffOutput(deployment: string, diffs: readonly ObjectDiff[]): DiffOutput {
  const objects = diffs.map((d) => ({
    object: formatRef(d.ref),
    ref: d.ref,
    action: d.action,
    reason: d.reason,
    fields: d.fields,
    ...(d.error ? { error: d.error } : {}),
  }));
  const changed = objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skip').length;
  return { command: 'diff', deployment, changed, objects };
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

export function applyTable(o: ApplyOutput): string {
  const rows = [['CHANGE', 'HEALTH', 'OBJECT', 'DETAIL']];
  for (const x of o.objects) rows.push([x.change, x.health, x.object, x.message || x.reason]);
  const counts = new Map<string, number>();
  for (const x of o.objects) counts.set(x.change, (counts.get(x.change) ?? 0) + 1);
  const summary = [...counts].map(([c, n]) => `${n} ${c}`).join(', ');
  const drift = o.drift.map(
    (d) =>
      `drift ${formatRef(d.ref)} by ${d.manager || 'unknown'}: ${d.fields.map((f) => f.path).join(', ')}${d.corrected ? ' (corrected)' : ''}`,
  );
  return (
    [
      table(rows),
      ...drift,
      `deployment ${o.deployment}: ${o.state} (${summary}) ${o.state === 'Ready' ? '' : o.message}`.trimEnd(),
    ].join('\n') + '\n'
  );
}

const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));

export function diffTable(o: DiffOutput): string {
  const lines: string[] = [];
  for (const x of o.objects) {
    if (x.action === 'unchanged') continue;
    lines.push(`${x.action} ${x.object}: ${x.reason}${x.error ? ` — would fail: ${x.error}` : ''}`);
    for (const f of x.fields) lines.push(`    ${f.path || '(object)'}: ${show(f.before)} → ${show(f.after)}`);
  }
  lines.push(`deployment ${o.deployment}: ${o.changed} of ${o.objects.length} objects would change`);
  return lines.join('\n') + '\n';
}
