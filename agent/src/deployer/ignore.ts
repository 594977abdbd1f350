import { groupOf, type ObjectRef } from '../objects.js';
import type { IgnoreRule } from './bundle.js';

function matchField(pattern: string | undefined, value: string): boolean {
  if (!pattern) return true;
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;
}

/** Whether a rule's selector picks the object; an apiVersion without version matches the whole group. */
export function selects(rule: IgnoreRule, ref: ObjectRef): boolean {
  const av = rule.object.apiVersion;
  const apiOk = !av || av === ref.apiVersion || (!av.includes('/') && av === groupOf(ref.apiVersion));
  return (
    apiOk &&
    matchField(rule.object.kind, ref.kind) &&
    matchField(rule.object.namespace, ref.namespace) &&
    matchField(rule.object.name, ref.name)
  );
}

export function rulesFor(rules: readonly IgnoreRule[], ref: ObjectRef): IgnoreRule[] {
  return rules.filter((r) => selects(r, ref));
}

/** A path is covered by a pointer when it is the pointer or lies beneath it. */
export function underPointer(path: string, pointer: string): boolean {
  const p = pointer.endsWith('/') ? pointer.slice(0, -1) : pointer;
  return p === '' || path === p || path.startsWith(p + '/');
}

/** Whether a drifted field is silenced: by pointer, or because a named manager holds it. */
export function isIgnored(rules: readonly IgnoreRule[], path: string, manager?: string): boolean {
  return rules.some(
    (r) => r.jsonPointers.some((p) => underPointer(path, p)) || (manager !== undefined && r.managers.includes(manager)),
  );
}
