import type { ObjectHealthName } from '@flotilla/proto/api';
import { isPlainObject, type KubeObject } from '../objects.js';

/** An object's health: the vocabulary the hub's API reports (OBJECT_HEALTHS). */
export type Health = ObjectHealthName;

export interface HealthResult {
  health: Health;
  /** Why the object is not Ready; empty when it is. */
  message: string;
  /**
   * When the verdict changes with time alone, without any change to the object (ms since the epoch):
   * a Pod unschedulable past its grace period turns Failed. Whoever holds the verdict re-evaluates then.
   */
  recheckAt?: number;
}

export const ready: HealthResult = { health: 'Ready', message: '' };
export const progress = (message: string): HealthResult => ({ health: 'InProgress', message });
export const failed = (message: string): HealthResult => ({ health: 'Failed', message });
export const unknown = (message: string): HealthResult => ({ health: 'Unknown', message });

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export type Status = Record<string, unknown>;

export function statusOf(o: KubeObject): Status {
  return isPlainObject(o.status) ? o.status : {};
}

export function specOf(o: KubeObject): Record<string, unknown> {
  return isPlainObject(o.spec) ? o.spec : {};
}

/** The well-formed entries of status.conditions, in their order. */
export function conditions(s: Status): Condition[] {
  if (!Array.isArray(s.conditions)) return [];
  return s.conditions.filter(
    (c): c is Condition => isPlainObject(c) && typeof c.type === 'string' && typeof c.status === 'string',
  );
}

export function condition(s: Status, type: string, status?: string): Condition | undefined {
  return conditions(s).find((c) => c.type === type && (status === undefined || c.status === status));
}

/** "reason: message" of a condition, or the fallback when it has neither. */
export function conditionText(c: Condition, fallback: string): string {
  return [c.reason, c.message].filter(Boolean).join(': ') || fallback;
}

/** An integer field as kstatus reads one: anything else (absent, a string, 1.5) is not set. */
export function intField(v: unknown): number | undefined {
  return Number.isInteger(v) ? (v as number) : undefined;
}

export function int(v: unknown, fallback: number): number {
  return intField(v) ?? fallback;
}

/** A field under a path of plain objects, e.g. at(o, 'spec', 'updateStrategy', 'type'). */
export function at(o: unknown, ...path: string[]): unknown {
  let node = o;
  for (const k of path) node = isPlainObject(node) ? node[k] : undefined;
  return node;
}

export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}
