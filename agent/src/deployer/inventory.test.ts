import { describe, expect, it } from 'vitest';
import { InventoryError } from '../errors.js';
import { decodeEntries, encodeEntries, inventoryName, type InventoryEntry } from './inventory.js';

describe('inventory encoding', () => {
  const entries: InventoryEntry[] = [
    { ref: { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'shop' }, digest: 'aaaa', owned: 'bbbb' },
    { ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, digest: '', owned: '' },
  ];

  it('round-trips, one sorted line per object', () => {
    const text = encodeEntries(entries);
    expect(text).toBe('apps/v1 Deployment shop web - -\nv1 Namespace - shop aaaa bbbb');
    expect([...decodeEntries(text, 'x').values()]).toEqual([entries[1], entries[0]]);
  });

  it('names the bad line', () => {
    expect(() => decodeEntries('v1 ConfigMap a b c d\nbroken', 'inventory x')).toThrow(
      new InventoryError('inventory x: line 2 is not "apiVersion kind namespace name digest owned"'),
    );
  });

  it('names ConfigMaps readably and without collisions', () => {
    expect(inventoryName('prod/apps/web')).toMatch(/^flotilla-inv-prod-apps-web-[0-9a-f]{10}$/);
    expect(inventoryName('prod/apps/web')).not.toBe(inventoryName('prod/apps.web'));
    expect(inventoryName('x'.repeat(300)).length).toBeLessThanOrEqual(63);
  });
});
