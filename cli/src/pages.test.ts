import { describe, expect, it } from 'vitest';
import type { Page } from '@flotilla/proto/api';
import { collectPages, type PageCursor } from './pages.js';

/** A hub's list of ids 1..n served `size` at a time, as GET /events pages them. */
function hub(n: number, size: number) {
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const asked: PageCursor[] = [];
  return {
    asked,
    back: async (next: PageCursor): Promise<Page<number>> => {
      asked.push(next);
      const older = ids.filter((i) => i < (next?.before ?? Infinity));
      const items = older.slice(-size);
      const more = older.length > size;
      return { items, more, ...(more ? { next: { before: items[0]! } } : {}) };
    },
    forward: async (next: PageCursor): Promise<Page<number>> => {
      asked.push(next);
      const newer = ids.filter((i) => i > (next?.after ?? 0));
      const items = newer.slice(0, size);
      const more = newer.length > size;
      return { items, more, ...(more ? { next: { after: items.at(-1)! } } : {}) };
    },
  };
}

describe('collectPages', () => {
  it('goes back page by page and keeps the newest `limit`, oldest first', async () => {
    const h = hub(25, 10);
    expect(await collectPages(h.back, 15, 'back')).toEqual({
      items: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25],
      more: true,
    });
    expect(h.asked).toEqual([undefined, { before: 16 }]);
    expect(await collectPages(hub(25, 10).back, 100, 'back')).toEqual({
      items: Array.from({ length: 25 }, (_, i) => i + 1),
      more: false,
    });
  });

  it('goes forward page by page and keeps the first `limit`', async () => {
    const h = hub(25, 10);
    const r = await collectPages(h.forward, 12, 'forward');
    expect(r).toEqual({ items: Array.from({ length: 12 }, (_, i) => i + 1), more: true });
    expect(h.asked).toEqual([undefined, { after: 10 }]);
  });

  it('stops at an empty list', async () => {
    expect(await collectPages(hub(0, 10).back, 50, 'back')).toEqual({ items: [], more: false });
  });
});
