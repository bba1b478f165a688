import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { decodeCursor, encodeCursor, ListingCache, listFiles, type ListRequest } from '../src/list-files.js';

// listFiles on a real memory store, called directly: each way it answers (search, commit
// filters, name filters with and without time order) with exact pages, totals and cursors,
// and the listing cache's hits, expiry, eviction and clearing.

let store: Store;

beforeEach(async () => {
  store = await openStore({ driver: 'memory' });
  // Times chosen so that time order differs from name order.
  const files: Array<[string, string, number, string, string[]]> = [
    ['b.pl', 'foo(b).', 300, 'ann', ['x']],
    ['a.pl', 'foo(a).', 100, 'bob', ['y']],
    ['c.md', '# foo c', 200, 'ann', ['x', 'y']],
    ['ab.md', 'nothing', 400, 'cy', []],
    ['Abc.pl', 'bar.', 50, 'bob', ['x']],
  ];
  for (const [name, data, time, author, tags] of files) await store.create(name, data, { time, author, tags });
});

afterEach(async () => {
  await store.close();
});

const request = (extra: Partial<ListRequest> = {}): ListRequest => ({ filters: {}, offset: 0, limit: 10, ...extra });
const names = (page: { files: Array<{ name: string }> }) => page.files.map((f) => f.name);

describe('cursors', () => {
  it('encode an offset as base64url of "o:<offset>" and decode it back', () => {
    expect(encodeCursor(20)).toBe(Buffer.from('o:20').toString('base64url'));
    expect(decodeCursor(encodeCursor(0))).toBe(0);
    expect(decodeCursor(encodeCursor(123_456_789_012_345))).toBe(123_456_789_012_345);
  });

  it.each(['', 'o:1', Buffer.from('o:').toString('base64url'), Buffer.from('o:-1').toString('base64url'), Buffer.from('o:1x').toString('base64url'), Buffer.from(' o:1').toString('base64url'), Buffer.from('o:1234567890123456').toString('base64url')])(
    'refuses %j',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: '"cursor" is not a cursor this server gave out' }));
    },
  );
});

describe('listFiles by name filters only', () => {
  it('pages in name order with the total and the next cursor', async () => {
    const first = await listFiles(store, request({ limit: 2 }));
    expect(names(first)).toEqual(['Abc.pl', 'a.pl']);
    expect(first.total).toBe(5);
    expect(first.next).toBe(encodeCursor(2));
    const last = await listFiles(store, request({ offset: 4, limit: 2 }));
    expect(names(last)).toEqual(['c.md']);
    expect(last.next).toBeNull();
    const exact = await listFiles(store, request({ offset: 3, limit: 2 }));
    expect(names(exact)).toEqual(['b.pl', 'c.md']);
    expect(exact.next).toBeNull();
    expect(first.files[0]!.commit.author).toBe('bob');
  });

  it('filters by extension and prefix', async () => {
    const page = await listFiles(store, request({ filters: { ext: 'pl', namePrefix: 'a' } }));
    expect(names(page)).toEqual(['a.pl']);
    expect(page.total).toBe(1);
  });

  it('filters by name text in any case, in name order, with commits', async () => {
    const page = await listFiles(store, request({ contains: 'AB', limit: 1 }));
    expect(names(page)).toEqual(['Abc.pl']);
    expect(page.total).toBe(2);
    expect(page.next).toBe(encodeCursor(1));
    expect(page.files[0]!.commit.time).toBe(50);
    const rest = await listFiles(store, request({ contains: 'ab', offset: 1, limit: 1 }));
    expect(names(rest)).toEqual(['ab.md']);
    expect(rest.next).toBeNull();
  });

  it('sorts name-text matches by time, newest first, when asked', async () => {
    const page = await listFiles(store, request({ contains: '.pl', filters: { order: 'time' }, limit: 2 }));
    expect(names(page)).toEqual(['b.pl', 'a.pl']);
    expect(page.total).toBe(3);
    expect(page.next).toBe(encodeCursor(2));
    const rest = await listFiles(store, request({ contains: '.pl', filters: { order: 'time' }, offset: 2, limit: 2 }));
    expect(names(rest)).toEqual(['Abc.pl']);
    expect(rest.next).toBeNull();
  });

  it('sorts name-text matches by name whatever order the driver lists heads in', async () => {
    for (const name of ['z4.txt', 'z3.txt', 'z2.txt', 'z1.txt']) await store.create(name, name);
    const page = await listFiles(store, request({ contains: 'z' }));
    expect(names(page)).toEqual(['z1.txt', 'z2.txt', 'z3.txt', 'z4.txt']);
  });

  it('gives no next cursor when a page ends exactly at the last match', async () => {
    expect((await listFiles(store, request({ contains: '.pl', limit: 3 }))).next).toBeNull();
    expect((await listFiles(store, request({ contains: '.pl', filters: { order: 'time' }, limit: 3 }))).next).toBeNull();
    expect((await listFiles(store, request({ filters: { author: 'ann' }, limit: 2 }))).next).toBeNull();
    expect((await listFiles(store, request({ limit: 5 }))).next).toBeNull();
  });

  it('breaks a tie of times by name', async () => {
    for (const name of ['z3.txt', 'z2.txt', 'z1.txt', 'z0.txt']) await store.create(name, 'z', { time: 999 });
    const page = await listFiles(store, request({ contains: 'z', filters: { order: 'time' } }));
    expect(names(page)).toEqual(['z0.txt', 'z1.txt', 'z2.txt', 'z3.txt']);
  });

  it('leaves out a file whose head commit is gone by the time its commit is read', async () => {
    const cache = new ListingCache(store);
    // A stale cached listing naming a head this store does not hold (replaced and collected).
    cache.set(JSON.stringify([undefined, undefined, 'pl']), [{ name: 'a.pl', head: '0'.repeat(40) }, { name: 'b.pl', head: (await store.head('b.pl'))! }]);
    const page = await listFiles(store, request({ contains: 'pl' }), cache);
    expect(names(page)).toEqual(['b.pl']);
    expect(page.total).toBe(2);
    cache.close();
  });

  it('passes on a failure other than a missing commit', async () => {
    vi.spyOn(store, 'commit').mockRejectedValue(Object.assign(new Error('disk gone'), { code: 'EIO' }));
    await expect(listFiles(store, request({ contains: 'pl' }))).rejects.toThrow('disk gone');
  });
});

describe('listFiles with commit filters', () => {
  it.each([
    [{ author: 'ann' }, ['b.pl', 'c.md']],
    [{ tag: 'y' }, ['a.pl', 'c.md']],
    [{ since: 200 }, ['ab.md', 'b.pl', 'c.md']],
    [{ until: 200 }, ['Abc.pl', 'a.pl']],
  ])('filters %j from the store\'s listing', async (filters, expected) => {
    const page = await listFiles(store, request({ filters }));
    expect(names(page)).toEqual(expected);
    expect(page.total).toBe(expected.length);
    expect(page.next).toBeNull();
  });

  it('applies the name text to them and pages', async () => {
    const page = await listFiles(store, request({ filters: { tag: 'x' }, contains: 'C', limit: 1 }));
    expect(names(page)).toEqual(['Abc.pl']);
    expect(page.total).toBe(2);
    expect(page.next).toBe(encodeCursor(1));
  });
});

describe('listFiles with a search', () => {
  it('pages the hits that pass the name text, with commits', async () => {
    const page = await listFiles(store, request({ q: 'foo', limit: 2 }));
    expect(page.total).toBe(3);
    expect(page.files).toHaveLength(2);
    expect(page.next).toBe(encodeCursor(2));
    expect(page.files.every((f) => f.commit.name === f.name)).toBe(true);
    const filtered = await listFiles(store, request({ q: 'foo', contains: '.PL' }));
    expect(names(filtered).sort()).toEqual(['a.pl', 'b.pl']);
    expect(filtered.total).toBe(2);
    expect(filtered.next).toBeNull();
  });

  it.each(['', '   '])('refuses a blank search %j', async (q) => {
    await expect(listFiles(store, request({ q }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: '"q" must not be blank' });
  });
});

describe('ListingCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves a repeated name listing from the cache until a head changes', async () => {
    const cache = new ListingCache(store);
    const heads = vi.spyOn(store.driver, 'heads');
    await listFiles(store, request({ contains: 'a' }), cache);
    await listFiles(store, request({ contains: 'A' }), cache);
    expect(heads).toHaveBeenCalledTimes(1);
    await listFiles(store, request({ contains: 'b' }), cache);
    expect(heads).toHaveBeenCalledTimes(2);
    await store.create('new-a.txt', 'n');
    const page = await listFiles(store, request({ contains: 'a' }), cache);
    expect(heads).toHaveBeenCalledTimes(3);
    expect(page.total).toBe(4);
    cache.close();
  });

  it('keeps entries apart per extension, prefix and name text', async () => {
    const cache = new ListingCache(store);
    expect((await listFiles(store, request({ filters: { ext: 'md' } }), cache)).total).toBe(2);
    expect((await listFiles(store, request({ filters: { ext: 'pl' } }), cache)).total).toBe(3);
    expect((await listFiles(store, request({ filters: { namePrefix: 'a' } }), cache)).total).toBe(2);
    expect((await listFiles(store, request({ filters: { namePrefix: 'a' }, contains: 'md' }), cache)).total).toBe(1);
    cache.close();
  });

  it('expires entries after ttlMs, and not before', () => {
    vi.useFakeTimers();
    const cache = new ListingCache(store, 1000);
    const names = [{ name: 'x', head: 'h' }];
    cache.set('k', names);
    vi.advanceTimersByTime(1000);
    expect(cache.get('k')).toBe(names);
    vi.advanceTimersByTime(1);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.get('never')).toBeUndefined();
    cache.close();
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new ListingCache(store, 60_000, 2);
    cache.set('a', []);
    cache.set('b', []);
    cache.set('c', []);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual([]);
    expect(cache.get('c')).toEqual([]);
    cache.close();
  });

  it('forgets everything on close and stops following the store', async () => {
    const cache = new ListingCache(store);
    cache.set('a', []);
    cache.close();
    expect(cache.get('a')).toBeUndefined();
    cache.set('b', []);
    await store.create('after-close.txt', 'x');
    expect(cache.get('b')).toEqual([]);
  });
});
