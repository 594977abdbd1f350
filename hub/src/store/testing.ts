// Shared set-up of the store tests. Test-only: hub/tsconfig.json keeps it out of dist/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from './index.js';

/** A fresh temporary directory per test. */
export interface TempDir {
  /** The running test's directory; removed after the test. */
  readonly dir: string;
}

/** A fresh store per test, in a temporary directory, on a clock the test moves. */
export interface TempStore extends TempDir {
  /** The store's file, `<dir>/hub.db`. */
  readonly path: string;
  /** The open store. A test that reopens it assigns the new one here, so that it is closed after the test. */
  store: Store;
  /** What the store's `now` reads, in ms since the epoch; the test moves time with `t.clock += 1000`. */
  clock: number;
}

const PREFIX = 'flotilla-store-';

function outsideTest(what: string): never {
  throw new Error(`${what} exists only while a test runs (in beforeEach, it or afterEach)`);
}

function removeDir(dir: string | undefined): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

/** Registers hooks that give each test of the file (or describe block) its own temporary directory. */
export function useTempDir(prefix = PREFIX): TempDir {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    removeDir(dir);
    dir = undefined;
  });
  return {
    get dir() {
      return dir ?? outsideTest('dir');
    },
  };
}

/**
 * Registers hooks that open a fresh store before each test of the file (or describe block), its clock
 * at `start`, and close it and remove its directory after. Seed data in a `beforeEach` registered after this call.
 */
export function useTempStore(start = '2025-01-01T00:00:00Z'): TempStore {
  let dir: string | undefined;
  let store: Store | undefined;
  const t: TempStore = {
    clock: Date.parse(start),
    get dir() {
      return dir ?? outsideTest('dir');
    },
    get path() {
      return join(t.dir, 'hub.db');
    },
    get store() {
      return store ?? outsideTest('store');
    },
    set store(s: Store) {
      store = s;
    },
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), PREFIX));
    t.clock = Date.parse(start);
    store = openStore(t.path, { now: () => new Date(t.clock) });
  });
  afterEach(() => {
    store?.close();
    store = undefined;
    removeDir(dir);
    dir = undefined;
  });
  return t;
}

/** What `fn` throws, to match against its fields; fails when it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
