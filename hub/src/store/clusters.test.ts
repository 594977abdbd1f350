import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterFromRow, clusterToRow, type Cluster } from './clusters.js';
import { openStore, StoreConflictError, StoreInvalidError, StoreNotFoundError, type Store } from './index.js';

let dir: string;
let store: Store;
let clock: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-store-'));
  clock = Date.parse('2025-01-01T00:00:00Z');
  store = openStore(join(dir, 'hub.db'), { now: () => new Date(clock) });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('clusters', () => {
  it('maps rows to objects and back without loss', () => {
    const full: Cluster = {
      id: 'id-1',
      name: 'eu-1',
      labels: { env: 'prod' },
      credentialHash: 'h',
      kubernetesVersion: 'v1.31.0',
      agentVersion: '0.1.0',
      lastSeenAt: '2025-01-02T00:00:00.000Z',
      createdAt: '2025-01-01T00:00:00.000Z',
      revokedAt: '2025-01-03T00:00:00.000Z',
    };
    expect(clusterFromRow(clusterToRow(full))).toStrictEqual(full);
    const bare: Cluster = { id: 'id-2', name: 'eu-2', labels: {}, createdAt: '2025-01-01T00:00:00.000Z' };
    expect(clusterFromRow(clusterToRow(bare))).toStrictEqual(bare);
  });

  it('creates, reads by name, id and credential, and lists by name', () => {
    const created = store.clusters.create({
      name: 'us-1',
      labels: { env: 'prod', region: 'us' },
      credentialHash: 'h1',
    });
    store.clusters.create({ id: 'fixed-id', name: 'eu-1' });
    expect(created).toStrictEqual({
      id: expect.any(String),
      name: 'us-1',
      labels: { env: 'prod', region: 'us' },
      credentialHash: 'h1',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    expect(store.clusters.get('us-1')).toStrictEqual(created);
    expect(store.clusters.getById(created.id)).toStrictEqual(created);
    expect(store.clusters.getByCredentialHash('h1')?.name).toBe('us-1');
    expect(store.clusters.get('nope')).toBeUndefined();
    expect(store.clusters.list().map((c) => c.name)).toEqual(['eu-1', 'us-1']);
    expect(store.clusters.getById('fixed-id')?.name).toBe('eu-1');
  });

  it('refuses a taken name or id with STORE_CONFLICT naming the cluster', () => {
    store.clusters.create({ id: 'a', name: 'eu-1' });
    expect(() => store.clusters.create({ name: 'eu-1' })).toThrow(
      new StoreConflictError('cluster "eu-1" already exists'),
    );
    expect(() => store.clusters.create({ id: 'a', name: 'eu-2' })).toThrow(
      /cluster id a is already taken by cluster "eu-1"/,
    );
    expect(thrown(() => store.clusters.create({ name: 'eu-1' }))).toMatchObject({ code: 'STORE_CONFLICT' });
  });

  it('updates labels, records sightings, rotates and revokes credentials', () => {
    store.clusters.create({ name: 'eu-1', credentialHash: 'old', agentVersion: '0.1.0' });
    expect(store.clusters.setLabels('eu-1', { env: 'staging' }).labels).toEqual({ env: 'staging' });

    clock += 60_000;
    const seen = store.clusters.recordSeen('eu-1', { kubernetesVersion: 'v1.31.2' });
    expect(seen).toMatchObject({
      lastSeenAt: '2025-01-01T00:01:00.000Z',
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.31.2',
    });

    clock += 60_000;
    const revoked = store.clusters.revoke('eu-1');
    expect(revoked.revokedAt).toBe('2025-01-01T00:02:00.000Z');
    expect(revoked.credentialHash).toBeUndefined();
    expect(store.clusters.getByCredentialHash('old')).toBeUndefined();

    const readmitted = store.clusters.setCredential('eu-1', 'new');
    expect(readmitted.credentialHash).toBe('new');
    expect(readmitted.revokedAt).toBeUndefined();
  });

  it('refuses a credential hash already issued to another cluster', () => {
    store.clusters.create({ name: 'a', credentialHash: 'same' });
    store.clusters.create({ name: 'b' });
    expect(() => store.clusters.setCredential('b', 'same')).toThrow(StoreConflictError);
    expect(() => store.clusters.setCredential('b', 'same')).toThrow(/already issued to cluster "a"/);
  });

  it('says which cluster is missing', () => {
    expect(() => store.clusters.setLabels('ghost', {})).toThrow(
      new StoreNotFoundError('cluster "ghost" does not exist'),
    );
    expect(() => store.clusters.revoke('ghost')).toThrow(StoreNotFoundError);
    expect(() => store.clusters.recordSeen('ghost')).toThrow(StoreNotFoundError);
    expect(store.clusters.delete('ghost')).toBe(false);
  });

  it('refuses labels that are not strings', () => {
    const labels = { env: 1 } as unknown as Record<string, string>;
    expect(() => store.clusters.create({ name: 'eu-1', labels })).toThrow(StoreInvalidError);
  });

  it('deletes', () => {
    store.clusters.create({ name: 'eu-1' });
    expect(store.clusters.delete('eu-1')).toBe(true);
    expect(store.clusters.list()).toEqual([]);
  });
});
