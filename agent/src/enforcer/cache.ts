import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bundle } from '../deployer/bundle.js';

/**
 * The last bundles the agent applied, on disk: a restarted agent that cannot reach the hub goes on
 * enforcing them. One JSON file per bundle, replaced atomically.
 */
export class BundleCache {
  constructor(readonly dir: string) {}

  private file(deployment: string): string {
    return join(this.dir, `${createHash('sha256').update(deployment).digest('hex').slice(0, 20)}.json`);
  }

  async save(bundle: Bundle): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(bundle.deployment);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(bundle));
    await rename(tmp, file);
  }

  /** Every cached bundle; unreadable files are skipped (a torn write never replaces a good one). */
  async load(): Promise<Bundle[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const bundles: Bundle[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      try {
        const b = fromFile(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as StoredBundle);
        if (typeof b.deployment === 'string' && Array.isArray(b.objects)) bundles.push(b);
      } catch {
        // skipped: see above
      }
    }
    return bundles;
  }

  async remove(deployment: string): Promise<void> {
    await rm(this.file(deployment), { force: true });
  }
}

/** A cached bundle as an agent of 0.1 wrote it: its deployment was `id`, its namespace's deleteWithBundle. */
type StoredBundle = Bundle & {
  id?: string;
  options: { namespace?: { deleteWithBundle?: boolean } };
};

/** A cached bundle in today's shape, whichever agent wrote it: an upgraded agent goes on enforcing its cache. */
function fromFile(b: StoredBundle): Bundle {
  const { id, ...rest } = b;
  const bundle: Bundle = { ...rest, deployment: b.deployment ?? id };
  const ns = b.options?.namespace;
  if (ns && ns.deleteWithDeployment === undefined) {
    const { deleteWithBundle, ...current } = ns;
    bundle.options = { ...b.options, namespace: { ...current, deleteWithDeployment: deleteWithBundle === true } };
  }
  return bundle;
}
