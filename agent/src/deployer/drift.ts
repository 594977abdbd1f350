import type { DriftReport } from '@flotilla/proto';
import type { ObjectRef } from '../objects.js';
import type { PlannedChange } from './plan.js';

/** One drifted field: where, what Git says, what the cluster holds, and who wrote it when. */
export interface FieldDrift {
  path: string;
  desired?: unknown;
  live?: unknown;
  manager?: string;
  time?: string;
}

export interface DriftRecord {
  deployment: string;
  ref: ObjectRef;
  fields: FieldDrift[];
  /** The manager that last wrote the drifted fields ('' when managedFields cannot tell, e.g. a deletion). */
  manager: string;
  changedAt: number;
  detectedAt: number;
  /** True once self-heal restored the desired values. */
  corrected: boolean;
  /** When self-heal restored them (set with `corrected`). */
  correctedAt?: number;
}

/** The drift a planned change reveals, or undefined when the live object still holds what was applied. */
export function driftOf(c: PlannedChange, deployment: string, now: number): DriftRecord | undefined {
  if (!c.drift) return undefined;
  if (c.live === null) {
    return {
      deployment,
      ref: c.ref,
      fields: [{ path: '', desired: 'exists' }],
      manager: '',
      changedAt: now,
      detectedAt: now,
      corrected: false,
    };
  }
  const fields: FieldDrift[] = c.diffs.map((d) => ({
    path: d.path,
    desired: d.desired,
    live: d.live,
    ...(d.manager ? { manager: d.manager } : {}),
    ...(d.time ? { time: d.time } : {}),
  }));
  const latest = [...fields].sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''))[0];
  const manager = latest?.manager ?? fields.find((f) => f.manager)?.manager ?? '';
  const changedAt = latest?.time ? Date.parse(latest.time) : now;
  return { deployment, ref: c.ref, fields, manager, changedAt, detectedAt: now, corrected: false };
}

/** `drift: /data/color changed by kubectl-edit`, as plans and reports say it. */
export function describeDrift(d: Pick<DriftRecord, 'fields' | 'manager'>): string {
  if (d.fields.length === 1 && d.fields[0]?.path === '') return 'drift: deleted from the cluster';
  const paths = d.fields.slice(0, 5).map((f) => f.path);
  const more = d.fields.length > paths.length ? ` and ${d.fields.length - paths.length} more` : '';
  return `drift: ${paths.join(', ')}${more} changed by ${d.manager || 'unknown'}`;
}

const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

/** The proto's DriftReport. */
export function toWireDrift(d: DriftRecord): DriftReport {
  return {
    deployment: d.deployment,
    object: { ...d.ref },
    fields: d.fields.map((f) => ({ path: f.path, desiredJson: json(f.desired), liveJson: json(f.live) })),
    manager: d.manager,
    changedAtUnixMs: d.changedAt,
    detectedAtUnixMs: d.detectedAt,
    corrected: d.corrected,
    correctedAtUnixMs: d.correctedAt ?? 0,
  };
}
