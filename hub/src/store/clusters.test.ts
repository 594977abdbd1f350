import { describe, expect, it } from 'vitest';
import { clusterFromRow, clusterToRow, type Cluster } from './clusters.js';
import { StoreConflictError, StoreInvalidError, StoreNotFoundError } from './index.js';
import { thrown, useTempStore } from './testing.js';

const t = useTempStore();

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

  it('names the owner of a credential and its revocation, and records a heartbeat', () => {
    t.store.clusters.create({ name: 'us-1', credentialHash: 'h1' });
    expect(t.store.clusters.credentialOwner('h1')).toStrictEqual({ name: 'us-1' });
    expect(t.store.clusters.credentialOwner('h2')).toBeUndefined();
    t.clock += 1000;
    expect(t.store.clusters.touch('us-1')).toBe(true);
    expect(t.store.clusters.get('us-1')?.lastSeenAt).toBe('2025-01-01T00:00:01.000Z');
    expect(t.store.clusters.touch('nobody')).toBe(false);
    t.store.clusters.revoke('us-1');
    // A revoked credential still names its cluster, so the agent can be told it was revoked.
    expect(t.store.clusters.credentialOwner('h1')).toStrictEqual({
      name: 'us-1',
      revokedAt: '2025-01-01T00:00:01.000Z',
    });
  });

  it('creates, reads by name, id and credential, and lists by name', () => {
    const created = t.store.clusters.create({
      name: 'us-1',
      labels: { env: 'prod', region: 'us' },
      credentialHash: 'h1',
    });
    t.store.clusters.create({ id: 'fixed-id', name: 'eu-1' });
    expect(created).toStrictEqual({
      id: expect.any(String),
      name: 'us-1',
      labels: { env: 'prod', region: 'us' },
      credentialHash: 'h1',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    expect(t.store.clusters.get('us-1')).toStrictEqual(created);
    expect(t.store.clusters.getById(created.id)).toStrictEqual(created);
    expect(t.store.clusters.getByCredentialHash('h1')?.name).toBe('us-1');
    expect(t.store.clusters.get('nope')).toBeUndefined();
    expect(t.store.clusters.list().map((c) => c.name)).toEqual(['eu-1', 'us-1']);
    expect(t.store.clusters.getById('fixed-id')?.name).toBe('eu-1');
  });

  it('refuses a taken name or id with STORE_CONFLICT naming the cluster', () => {
    t.store.clusters.create({ id: 'a', name: 'eu-1' });
    expect(() => t.store.clusters.create({ name: 'eu-1' })).toThrow(
      new StoreConflictError('cluster "eu-1" already exists'),
    );
    expect(() => t.store.clusters.create({ id: 'a', name: 'eu-2' })).toThrow(
      /cluster id a is already taken by cluster "eu-1"/,
    );
    expect(thrown(() => t.store.clusters.create({ name: 'eu-1' }))).toMatchObject({ code: 'STORE_CONFLICT' });
  });

  it('updates labels, records sightings, rotates and revokes credentials', () => {
    t.store.clusters.create({ name: 'eu-1', credentialHash: 'old', agentVersion: '0.1.0' });
    expect(t.store.clusters.setLabels('eu-1', { env: 'staging' }).labels).toEqual({ env: 'staging' });

    t.clock += 60_000;
    const seen = t.store.clusters.recordSeen('eu-1', { kubernetesVersion: 'v1.31.2' });
    expect(seen).toMatchObject({
      lastSeenAt: '2025-01-01T00:01:00.000Z',
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.31.2',
    });

    t.clock += 60_000;
    const revoked = t.store.clusters.revoke('eu-1');
    expect(revoked.revokedAt).toBe('2025-01-01T00:02:00.000Z');
    expect(revoked.credentialHash).toBe('old');
    expect(t.store.clusters.getByCredentialHash('old')?.revokedAt).toBe('2025-01-01T00:02:00.000Z');

    const readmitted = t.store.clusters.setCredential('eu-1', 'new');
    expect(readmitted.credentialHash).toBe('new');
    expect(readmitted.revokedAt).toBeUndefined();
  });

  it('refuses a credential hash already issued to another cluster', () => {
    t.store.clusters.create({ name: 'a', credentialHash: 'same' });
    t.store.clusters.create({ name: 'b' });
    expect(() => t.store.clusters.setCredential('b', 'same')).toThrow(StoreConflictError);
    expect(() => t.store.clusters.setCredential('b', 'same')).toThrow(/already issued to cluster "a"/);
  });

  it('says which cluster is missing', () => {
    expect(() => t.store.clusters.setLabels('ghost', {})).toThrow(
      new StoreNotFoundError('cluster "ghost" does not exist'),
    );
    expect(() => t.store.clusters.revoke('ghost')).toThrow(StoreNotFoundError);
    expect(() => t.store.clusters.recordSeen('ghost')).toThrow(StoreNotFoundError);
    expect(t.store.clusters.delete('ghost')).toBe(false);
  });

  it('refuses labels that are not strings', () => {
    const labels = { env: 1 } as unknown as Record<string, string>;
    expect(() => t.store.clusters.create({ name: 'eu-1', labels })).toThrow(StoreInvalidError);
  });

  it('deletes', () => {
    t.store.clusters.create({ name: 'eu-1' });
    expect(t.store.clusters.delete('eu-1')).toBe(true);
    expect(t.store.clusters.list()).toEqual([]);
  });
});
