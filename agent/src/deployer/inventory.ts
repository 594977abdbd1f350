import { createHash } from 'node:crypto';
import { InventoryError, KubeApiError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { refKey, type KubeObject, type ObjectRef } from '../objects.js';
import { deploymentLabelValue } from './bundle.js';

export const INVENTORY_LABEL = 'flotilla.dev/inventory';
export const DEFAULT_AGENT_NAMESPACE = 'flotilla-system';

/** One object Flotilla owns for a bundle, with what it last applied and what it then owned. */
export interface InventoryEntry {
  ref: ObjectRef;
  /** Digest of the desired object last applied; '' while an apply is in progress. */
  digest: string;
  /** Digest of Flotilla's managedFields after that apply; it changes when another writer takes a field. */
  owned: string;
}

export interface Inventory {
  deployment: string;
  entries: Map<string, InventoryEntry>;
}

export function emptyInventory(deployment: string): Inventory {
  return { deployment, entries: new Map() };
}

/**
 * The ConfigMap name for a deployment's inventory: readable prefix plus a hash, so distinct ids never
 * collide. A function of the deployment id alone, whose form (`environment/target`) never changes: an
 * upgraded or reinstalled agent finds the inventories an older one wrote.
 */
export function inventoryName(deployment: string): string {
  const hash = createHash('sha256').update(deployment).digest('hex').slice(0, 10);
  const slug = deploymentLabelValue(deployment)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 39);
  return `flotilla-inv-${slug.replace(/^-+|-+$/g, '') || 'bundle'}-${hash}`;
}

const NONE = '-';

/** One line per object: `apiVersion kind namespace name digest owned`, sorted: compact and diffable. */
export function encodeEntries(entries: Iterable<InventoryEntry>): string {
  const lines = [...entries].map((e) =>
    [e.ref.apiVersion, e.ref.kind, e.ref.namespace || NONE, e.ref.name, e.digest || NONE, e.owned || NONE].join(' '),
  );
  return lines.sort().join('\n');
}

export function decodeEntries(text: string, where: string): Map<string, InventoryEntry> {
  const entries = new Map<string, InventoryEntry>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const f = line.trim().split(' ');
    if (f.length !== 6)
      throw new InventoryError(`${where}: line ${i + 1} is not "apiVersion kind namespace name digest owned"`);
    const [apiVersion, kind, ns, name, digest, owned] = f as [string, string, string, string, string, string];
    const ref = { apiVersion, kind, namespace: ns === NONE ? '' : ns, name };
    entries.set(refKey(ref), { ref, digest: digest === NONE ? '' : digest, owned: owned === NONE ? '' : owned });
  });
  return entries;
}

/** Inventories as ConfigMaps in the agent's namespace, one per bundle, labelled for listing. */
export class InventoryStore {
  constructor(
    private readonly client: KubeClient,
    readonly namespace = DEFAULT_AGENT_NAMESPACE,
  ) {}

  private ref(deployment: string): ObjectRef {
    return { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: inventoryName(deployment) };
  }

  async load(deployment: string): Promise<Inventory | undefined> {
    const cm = await this.client.get(this.ref(deployment));
    return cm && this.decode(cm);
  }

  /** Every bundle this agent holds objects for (after a reinstall, too). */
  async list(): Promise<Inventory[]> {
    const info = await this.client.resolve({ apiVersion: 'v1', kind: 'ConfigMap' });
    const { items } = await this.client.list(info, this.namespace, `${INVENTORY_LABEL}=true`);
    return items.map((cm) => this.decode(cm));
  }

  /** Writes the inventory unless `previous` already says the same (an unchanged reconcile never writes). */
  async save(inv: Inventory, previous?: Inventory): Promise<boolean> {
    const objects = encodeEntries(inv.entries.values());
    if (previous && encodeEntries(previous.entries.values()) === objects) return false;
    const ref = this.ref(inv.deployment);
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: ref.name,
        namespace: this.namespace,
        labels: { [INVENTORY_LABEL]: 'true' },
      },
      // `bundle` is the key agents of 0.1 wrote the deployment under: kept, so each version reads the other's.
      data: { bundle: inv.deployment, objects },
    };
    try {
      await this.client.apply(cm, { force: true });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status.code === 404)) throw err;
      await this.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } });
      await this.client.apply(cm, { force: true });
    }
    return true;
  }

  async remove(deployment: string): Promise<void> {
    await this.client.delete(this.ref(deployment));
  }

  private decode(cm: KubeObject): Inventory {
    const data = (cm.data ?? {}) as { bundle?: string; objects?: string };
    const where = `inventory ConfigMap ${this.namespace}/${cm.metadata.name}`;
    if (!data.bundle) throw new InventoryError(`${where} names no deployment (data.bundle is empty)`);
    return { deployment: data.bundle, entries: decodeEntries(data.objects ?? '', where) };
  }
}
