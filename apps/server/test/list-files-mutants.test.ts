import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { ListingCache, listFiles, type ListRequest } from '../src/list-files.js';

// Which source each way of listing reads its page from: the head names (cached per filter, so
// possibly stale until a head change or the TTL) or the store's own listing. A cached listing
// that differs from the store shows which one answered.

let store: Store;
let cache: ListingCache;

beforeEach(async () => {
  store = await openStore({ driver: 'memory' });
  for (const [name, time] of [['b.pl', 300], ['a.pl', 100], ['c.md', 200], ['ab.md', 400], ['Abc.pl', 50]] as const) {
    await store.create(name, name, { time });
  }
  cache = new ListingCache(store);
});

afterEach(async () => {
  cache.close();
  await store.close();
});

const request = (extra: Partial<ListRequest> = {}): ListRequest => ({ filters: {}, offset: 0, limit: 10, ...extra });
const names = (page: { files: Array<{ name: string }> }) => page.files.map((f) => f.name);
/** A head this store does not hold (replaced and collected since it was cached). */
const GONE = '0'.repeat(40);

describe('listFiles: where the page comes from', () => {
  it('without name text, the page is one paged store query; only the total comes from the (cached) head names', async () => {
    cache.set(JSON.stringify([undefined, undefined, undefined]), [{ name: 'a.pl', head: GONE }, { name: 'b.pl', head: (await store.head('b.pl'))! }]);
    const page = await listFiles(store, request({ limit: 3 }), cache);
    expect(names(page)).toEqual(['Abc.pl', 'a.pl', 'ab.md']);
    expect(page.total).toBe(2);
    expect(page.next).toBeNull();
    // The same listing by time: still the store's own query.
    const byTime = await listFiles(store, request({ filters: { order: 'time' }, limit: 3 }), cache);
    expect(names(byTime)).toEqual(['ab.md', 'b.pl', 'c.md']);
    expect(byTime.total).toBe(2);
  });

  it('name text in time order: up to 2000 matches are sorted from their own commits, more from the store\'s listing', async () => {
    const key = JSON.stringify([undefined, undefined, 'pl']);
    const b = { name: 'b.pl', head: (await store.head('b.pl'))! };
    const stale = (count: number) => [b, ...Array.from({ length: count - 1 }, (_, i) => ({ name: `gone${String(i).padStart(4, '0')}.pl`, head: GONE }))];

    cache.set(key, stale(2000));
    const own = await listFiles(store, request({ contains: 'pl', filters: { order: 'time' } }), cache);
    expect(names(own)).toEqual(['b.pl']);
    expect([own.total, own.next]).toEqual([1, null]);

    cache.set(key, stale(2001));
    const listed = await listFiles(store, request({ contains: 'pl', filters: { order: 'time' } }), cache);
    expect(names(listed)).toEqual(['b.pl', 'a.pl', 'Abc.pl']);
    expect([listed.total, listed.next]).toEqual([3, null]);
  });
});
