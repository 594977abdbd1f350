import type { Claims } from '../deployer/ownership.js';

/** key → the deployments that have it, and deployment → its keys, kept in step. */
class KeySets {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byBundle = new Map<string, ReadonlySet<string>>();

  set(deployment: string, keys: Iterable<string>): void {
    this.delete(deployment);
    const mine = new Set(keys);
    this.byBundle.set(deployment, mine);
    for (const k of mine) {
      const s = this.byKey.get(k);
      if (s) s.add(deployment);
      else this.byKey.set(k, new Set([deployment]));
    }
  }

  delete(deployment: string): void {
    for (const k of this.byBundle.get(deployment) ?? []) {
      const s = this.byKey.get(k);
      s?.delete(deployment);
      if (s?.size === 0) this.byKey.delete(k);
    }
    this.byBundle.delete(deployment);
  }

  has(deployment: string, key: string): boolean {
    return this.byBundle.get(deployment)?.has(key) ?? false;
  }

  known(deployment: string): boolean {
    return this.byBundle.has(deployment);
  }

  /** The deployments that have the key, sorted by id (the order a tie is broken in). */
  of(key: string): string[] {
    return [...(this.byKey.get(key) ?? [])].sort();
  }
}

/**
 * The enforcer's account of who holds and who wants each object on this cluster: held from the
 * inventories of the bundles it enforces, wanted from each bundle's newest objects, including
 * bundles announced but not reconciled yet, so that an object moving between two bundles of one
 * desired state is handed over, never deleted.
 */
export class ClaimIndex implements Claims {
  private readonly held = new KeySets();
  private readonly wanted = new KeySets();

  /** After a reconcile: what the bundle's inventory holds and what its bundle asks for. */
  record(deployment: string, held: Iterable<string>, wanted: Iterable<string>): void {
    this.held.set(deployment, held);
    this.wanted.set(deployment, wanted);
  }

  /** A newer bundle arrived (or, with none, it is leaving): what it wants from now on. */
  expect(deployment: string, wanted: Iterable<string>): void {
    this.wanted.set(deployment, wanted);
  }

  /** The bundle and its inventory are gone (removed, or orphaned). */
  forget(deployment: string): void {
    this.held.delete(deployment);
    this.wanted.delete(deployment);
  }

  holder(key: string, self: string): string | undefined {
    const holding = this.held.of(key).filter((b) => b !== self && this.wanted.has(b, key));
    if (holding.length > 0) return holding[0];
    // Held by nobody that wants it: of the deployments asking for it, the first by id takes it.
    const first = this.wanted.of(key).find((b) => b !== self && !this.held.has(b, key));
    return first !== undefined && first < self ? first : undefined;
  }

  keeper(key: string, self: string): string | undefined {
    return this.held.of(key).find((b) => b !== self) ?? this.wanted.of(key).find((b) => b !== self);
  }
}
