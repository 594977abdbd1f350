import { ObjectHeldError } from '../errors.js';
import type { ObjectResult } from './changes.js';
import type { Inventory } from './inventory.js';
import type { PlannedChange } from './plan.js';

/**
 * What the other bundles on this cluster hold and want, by object key (refKey): an object belongs
 * to one bundle. The enforcer keeps it (ClaimIndex); a lone reconcile has none.
 */
export interface Claims {
  /**
   * The bundle an object belongs to, when not `self`: one that holds it (its inventory) and still
   * wants it; or, held by none that wants it, one before `self` (by id) that wants it too.
   */
  holder(key: string, self: string): string | undefined;
  /** Another bundle that holds or wants the object: when it leaves `self`, it is not deleted. */
  keeper(key: string, self: string): string | undefined;
}

export const NO_CLAIMS: Claims = { holder: () => undefined, keeper: () => undefined };

export interface Claimed {
  /** The plan, without the objects refused, and keeping (not deleting) what another bundle holds. */
  planned: PlannedChange[];
  /** The objects refused because another bundle holds them: failures that name it. */
  refused: ObjectResult[];
}

/**
 * The plan with ownership applied: an object another bundle holds is never adopted (unless this
 * bundle's own inventory holds it already), and an object leaving this bundle that another holds or
 * wants is forgotten instead of deleted. Pure.
 */
export function applyClaims(
  planned: readonly PlannedChange[],
  deployment: string,
  inventory: Inventory | undefined,
  claims: Claims,
): Claimed {
  const out: PlannedChange[] = [];
  const refused: ObjectResult[] = [];
  for (const c of planned) {
    if (c.desired) {
      const holder = inventory?.entries.has(c.key) ? undefined : claims.holder(c.key, deployment);
      if (holder === undefined) out.push(c);
      else refused.push(refusal(c, holder));
      continue;
    }
    const keeper = c.action === 'delete' ? claims.keeper(c.key, deployment) : undefined;
    out.push(
      keeper === undefined
        ? c
        : { ...c, action: 'skip', reason: `left the bundle; kept: deployment ${keeper} holds it` },
    );
  }
  return { planned: out, refused };
}

function refusal(c: PlannedChange, holder: string): ObjectResult {
  const error = new ObjectHeldError(c.ref, holder);
  return { ref: c.ref, key: c.key, change: 'failed', reason: error.message, action: 'skip', stage: c.stage, error };
}
