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

  private file(bundleId: string): string {
    return join(this.dir, `${createHash('sha256').update(bundleId).digest('hex').slice(0, 20)}.json`);
  }

  async save(bundle: Bundle): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(bundle.id);
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
        const b = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as Bundle;
        if (typeof b.id === 'string' && Array.isArray(b.objects)) bundles.push(b);
      } catch {
        // skipped: see above
      }
    }
    return bundles;
  }

  async remove(bundleId: string): Promise<void> {
    await rm(this.file(bundleId), { force: true });
  }
}
