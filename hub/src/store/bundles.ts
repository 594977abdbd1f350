import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { inTransaction, type Db } from './db.js';
import { guarded, StoreCorruptError, StoreInvalidError } from './errors.js';

export interface BundleInfo {
  /** sha256 of the bundle's canonical form, lowercase hex. */
  digest: string;
  /** Bytes of the canonical form (what an agent fetches). */
  size: number;
  objectCount: number;
  createdAt: string;
}

export interface NewBundle {
  digest: string;
  /** The canonical form; must hash to `digest`. */
  content: Uint8Array;
  objectCount: number;
}

export interface BundleStore {
  /** Stores a bundle once: an existing digest is a no-op (`inserted: false`). */
  put(bundle: NewBundle): { inserted: boolean; bundle: BundleInfo };
  has(digest: string): boolean;
  get(digest: string): BundleInfo | undefined;
  /** The canonical bytes, decompressed. */
  content(digest: string): Buffer | undefined;
  /** Metadata of every bundle, oldest first. */
  list(): BundleInfo[];
  /**
   * Deletes bundles that no deployment uses and that were stored before `before` (ISO 8601): the
   * cut-off spares a bundle just rendered whose deployments are not written yet. Returns how many.
   */
  pruneUnreferenced(before: string): number;
}

export const BUNDLE_ENCODINGS = ['identity', 'gzip'] as const;
export type BundleEncoding = (typeof BUNDLE_ENCODINGS)[number];

export interface BundleInfoRow {
  digest: string;
  size: number;
  object_count: number;
  created_at: string;
}

export interface BundleContentRow {
  encoding: string;
  content: Buffer;
}

const DIGEST = /^[0-9a-f]{64}$/;

export function bundleFromRow(row: BundleInfoRow): BundleInfo {
  return { digest: row.digest, size: row.size, objectCount: row.object_count, createdAt: row.created_at };
}

/** gzip when it saves space; small or incompressible bundles stay as they are. */
export function encodeContent(content: Uint8Array): { encoding: BundleEncoding; content: Buffer } {
  const gz = gzipSync(content);
  return gz.length < content.length
    ? { encoding: 'gzip', content: gz }
    : { encoding: 'identity', content: Buffer.from(content) };
}

export function decodeContent(row: BundleContentRow, digest: string): Buffer {
  if (row.encoding === 'identity') return row.content;
  if (row.encoding !== 'gzip') throw new StoreCorruptError(`bundle ${digest}: unknown encoding "${row.encoding}"`);
  try {
    return gunzipSync(row.content);
  } catch (err) {
    throw new StoreCorruptError(`bundle ${digest}: stored content does not decompress`, { cause: err });
  }
}

function checkBundle(bundle: NewBundle): void {
  if (!DIGEST.test(bundle.digest)) {
    throw new StoreInvalidError(`bundle digest "${bundle.digest}" is not a lowercase hex sha256`);
  }
  if (!Number.isInteger(bundle.objectCount) || bundle.objectCount < 0) {
    throw new StoreInvalidError(`bundle ${bundle.digest}: object count ${bundle.objectCount} is not a count`);
  }
  const actual = createHash('sha256').update(bundle.content).digest('hex');
  if (actual !== bundle.digest) {
    throw new StoreInvalidError(`bundle ${bundle.digest}: content hashes to ${actual}; refusing to store it`);
  }
}

export function bundleStore(db: Db, now: () => Date): BundleStore {
  const insert = db.prepare<[string, number, number, string, string, Buffer]>(
    `INSERT INTO bundles (digest, size, object_count, created_at, encoding, content) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (digest) DO NOTHING`,
  );
  const info = db.prepare<[string], BundleInfoRow>(
    'SELECT digest, size, object_count, created_at FROM bundles WHERE digest = ?',
  );
  const all = db.prepare<[], BundleInfoRow>(
    'SELECT digest, size, object_count, created_at FROM bundles ORDER BY created_at, digest',
  );
  const content = db.prepare<[string], BundleContentRow>('SELECT encoding, content FROM bundles WHERE digest = ?');
  const prune = db.prepare<[string]>(
    `DELETE FROM bundles WHERE created_at < ?
       AND NOT EXISTS (SELECT 1 FROM deployments WHERE deployments.bundle_digest = bundles.digest)`,
  );

  return {
    put(bundle) {
      if (!DIGEST.test(bundle.digest)) checkBundle(bundle);
      // A digest already stored is a no-op, so its content need not be hashed again (a rollout puts
      // one bundle for every cluster it reaches).
      const existing = info.get(bundle.digest);
      if (existing) return { inserted: false, bundle: bundleFromRow(existing) };
      checkBundle(bundle);
      const encoded = encodeContent(bundle.content);
      const at = now().toISOString();
      return guarded(`bundle ${bundle.digest}`, () =>
        inTransaction(db, () => {
          const { changes } = insert.run(
            bundle.digest,
            bundle.content.length,
            bundle.objectCount,
            at,
            encoded.encoding,
            encoded.content,
          );
          const row = info.get(bundle.digest);
          if (!row) throw new Error(`bundle ${bundle.digest}: not found right after insert`);
          return { inserted: changes > 0, bundle: bundleFromRow(row) };
        }),
      );
    },
    has: (digest) => info.get(digest) !== undefined,
    get: (digest) => {
      const row = info.get(digest);
      return row && bundleFromRow(row);
    },
    content: (digest) => {
      const row = content.get(digest);
      return row && decodeContent(row, digest);
    },
    list: () => all.all().map(bundleFromRow),
    pruneUnreferenced: (before) => prune.run(before).changes,
  };
}
