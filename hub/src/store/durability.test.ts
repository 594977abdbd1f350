import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './index.js';
import { useTempDir } from './testing.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./durability.child.mjs', import.meta.url));
const ROUNDS = 3;

const tmp = useTempDir('flotilla-store-kill-');
const children = new Set<ChildProcess>();
// Registered after useTempDir, so it runs before the directory goes (vitest runs after-hooks in reverse).
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

interface Run {
  ids: number[];
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the writer child and SIGKILLs it `delayMs` after it has reported `killAfter` commits. */
async function runAndKill(dbPath: string, killAfter: number, delayMs: number): Promise<Run> {
  const child = spawn(process.execPath, ['--conditions=@flotilla/source', '--import', 'tsx', CHILD, dbPath], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const ids: number[] = [];
  let partial = '';
  let stderr = '';
  let killScheduled = false;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? ''; // only whole lines are commits the child vouched for
    for (const line of lines) ids.push(Number(line));
    if (!killScheduled && ids.length >= killAfter) {
      killScheduled = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const [, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { ids, signal, stderr };
}

interface Survivor {
  id: number;
  bundle_digest: string;
  seq: number;
}

function verify(dbPath: string, reported: readonly number[]): void {
  // Reopening through the store replays the WAL the killed child left behind.
  const store = openStore(dbPath);
  try {
    expect(store.integrityCheck()).toBe('ok');
    const byId = new Map(store.events.list({ newest: true, limit: 10_000 }).map((e) => [e.id, e] as const));
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const rows = db
        .prepare<[], Survivor>(
          "SELECT id, bundle_digest, json_extract(payload, '$.seq') AS seq FROM events WHERE kind = 'BundleRendered'",
        )
        .all();
      const present = new Map(rows.map((r) => [r.id, r]));
      const missing = reported.filter((id) => !present.has(id));
      expect(missing, 'events the child reported as committed but missing after the kill').toEqual([]);
      // Spot-check whole transactions survived: the newest events' bundles exist and match their digests.
      for (const event of [...byId.values()].slice(-20)) {
        const content = store.bundles.content(event.bundle ?? '');
        expect(content && createHash('sha256').update(content).digest('hex')).toBe(event.bundle);
      }
      const newest = rows.reduce((a, b) => (b.id > a.id ? b : a));
      const deployment = store.deployments.get({ cluster: 'c1', target: 'web', environment: 'dev' });
      // The newest surviving event and the deployment were written by the same transaction.
      expect(deployment).toMatchObject({ bundle: newest.bundle_digest, revision: String(newest.seq) });
    } finally {
      db.close();
    }
  } finally {
    store.close();
  }
}

describe('durability under kill -9', () => {
  it(`keeps every reported commit and an intact file across ${ROUNDS} SIGKILLs`, async () => {
    const dbPath = join(tmp.dir, 'hub.db');
    const reported: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const run = await runAndKill(dbPath, randomInt(150, 400), randomInt(0, 25));
      expect(run.signal, `round ${round}: the child ended on its own\n${run.stderr}`).toBe('SIGKILL');
      expect(run.ids.length, `round ${round}: too few commits\n${run.stderr}`).toBeGreaterThanOrEqual(150);
      expect(existsSync(`${dbPath}-wal`)).toBe(true);
      reported.push(...run.ids);
      verify(dbPath, reported);
    }
    expect(new Set(reported).size).toBe(reported.length); // ids were never handed out twice
  }, 45_000);
});
