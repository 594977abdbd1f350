import type { Page } from '@flotilla/proto/api';

/** Where the next page of a history list is: the hub's `next` of the page before (none for the first). */
export type PageCursor = Page<unknown>['next'];

/**
 * Reads a history list a page at a time until `limit` items or its end. `back`: each page is older
 * than the one before (newest first: drift, the latest events), and the result keeps the newest
 * `limit`; `forward`: each page is newer (events after an id), and the result keeps the first. Either
 * way the items come back oldest first, as the hub lists each page, with `more` when some were left.
 */
export async function collectPages<T>(
  read: (next: PageCursor) => Promise<Page<T>>,
  limit: number,
  direction: 'back' | 'forward',
): Promise<{ items: T[]; more: boolean }> {
  const pages: T[][] = [];
  let count = 0;
  let next: PageCursor;
  let more = true;
  while (more && count < limit) {
    const page = await read(next);
    pages.push(page.items);
    count += page.items.length;
    more = page.more && page.next !== undefined;
    next = page.next;
  }
  const items = (direction === 'back' ? pages.reverse() : pages).flat();
  const over = items.length - limit;
  if (over <= 0) return { items, more };
  return { items: direction === 'back' ? items.slice(over) : items.slice(0, limit), more: true };
}
