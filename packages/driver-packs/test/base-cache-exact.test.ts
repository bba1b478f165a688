import { describe, expect, it } from 'vitest';
import type { GitObject } from '@gitty/core';
import { BASE_CACHE_BYTES, BaseCache, ByteLru, sharedBaseCache } from '../src/base-cache.js';

// The base cache bounds memory by bytes, not entries: which entry goes first, what a hit or a
// replacement does to the order and the byte count, and what a dropped pack leaves, exactly.

/** The keys of `lru` still held, probed without changing their order (probing reorders, so a copy is probed). */
function held(entries: [number, number, number][], lru: ByteLru<string>): string[] {
  return entries.filter(([p, k]) => lru.get(p, k) !== undefined).map(([p, k]) => `${p}:${k}`);
}

describe('ByteLru', () => {
  it('evicts least recently used entries once the bytes pass the budget, not at it', () => {
    const lru = new ByteLru<string>(10);
    lru.set(1, 1, 'a', 4);
    lru.set(1, 2, 'b', 3);
    lru.set(2, 1, 'c', 3);
    expect(lru.bytes).toBe(10);
    expect([lru.get(1, 1), lru.get(1, 2), lru.get(2, 1)]).toEqual(['a', 'b', 'c']);
    lru.set(2, 2, 'd', 1);
    // (1,1) was the least recently used: it goes, and only it.
    expect(lru.bytes).toBe(7);
    expect(lru.get(1, 1)).toBeUndefined();
    expect([lru.get(1, 2), lru.get(2, 1), lru.get(2, 2)]).toEqual(['b', 'c', 'd']);
  });

  it('a hit makes an entry the newest', () => {
    const lru = new ByteLru<string>(3);
    lru.set(1, 1, 'a', 1);
    lru.set(1, 2, 'b', 1);
    lru.set(1, 3, 'c', 1);
    expect(lru.get(1, 1)).toBe('a'); // oldest becomes newest
    expect(lru.get(1, 3)).toBe('c'); // the newest stays the newest
    lru.set(1, 4, 'd', 1); // evicts (1,2)
    expect(lru.get(1, 2)).toBeUndefined();
    lru.set(1, 5, 'e', 1); // evicts (1,1): older than (1,3)
    expect([lru.get(1, 1), lru.get(1, 3), lru.get(1, 4), lru.get(1, 5)]).toEqual([undefined, 'c', 'd', 'e']);
    expect(lru.bytes).toBe(3);
  });

  it('a hit on a middle entry keeps the list whole', () => {
    const lru = new ByteLru<string>(100);
    for (let k = 1; k <= 4; k++) lru.set(1, k, `v${k}`, 1);
    expect(lru.get(1, 2)).toBe('v2');
    // Order now, oldest first: 1, 3, 4, 2. Shrinking through eviction shows it.
    const tight = new ByteLru<string>(4);
    for (let k = 1; k <= 4; k++) tight.set(1, k, `v${k}`, 1);
    tight.get(1, 2);
    tight.set(9, 9, 'x', 2); // evicts 1 then 3
    expect(held([[1, 1, 0], [1, 2, 0], [1, 3, 0], [1, 4, 0], [9, 9, 0]], tight)).toEqual(['1:2', '1:4', '9:9']);
  });

  it('replacing a key frees the old size first and makes it newest', () => {
    const lru = new ByteLru<string>(10);
    lru.set(1, 1, 'a', 6);
    lru.set(1, 2, 'b', 2);
    lru.set(1, 1, 'a2', 8); // 8 + 2 = 10: nothing evicted
    expect(lru.bytes).toBe(10);
    expect([lru.get(1, 1), lru.get(1, 2)]).toEqual(['a2', 'b']);
    lru.set(1, 1, 'a3', 1);
    expect(lru.bytes).toBe(3);
  });

  it('an entry larger than the budget evicts everything, itself included', () => {
    const lru = new ByteLru<string>(5);
    lru.set(1, 1, 'a', 2);
    lru.set(2, 1, 'big', 6);
    expect(lru.bytes).toBe(0);
    expect([lru.get(1, 1), lru.get(2, 1)]).toEqual([undefined, undefined]);
    lru.set(1, 2, 'after', 5);
    expect(lru.get(1, 2)).toBe('after');
  });

  it('the same key in two packs is two entries', () => {
    const lru = new ByteLru<string>(10);
    lru.set(1, 7, 'one', 1);
    lru.set(2, 7, 'two', 1);
    expect([lru.get(1, 7), lru.get(2, 7), lru.get(3, 7)]).toEqual(['one', 'two', undefined]);
  });

  it('dropPack forgets that pack only, and its bytes', () => {
    const lru = new ByteLru<string>(100);
    lru.set(1, 1, 'a', 3);
    lru.set(2, 1, 'b', 4);
    lru.set(1, 2, 'c', 5);
    lru.dropPack(1);
    lru.dropPack(7);
    expect(lru.bytes).toBe(4);
    expect([lru.get(1, 1), lru.get(1, 2), lru.get(2, 1)]).toEqual([undefined, undefined, 'b']);
    // The list is still whole: new entries and eviction work after the drop.
    lru.set(1, 3, 'd', 96);
    expect(lru.bytes).toBe(100);
    lru.set(3, 1, 'e', 1);
    expect([lru.get(2, 1), lru.get(1, 3), lru.get(3, 1)]).toEqual([undefined, 'd', 'e']);
  });

  it('evicting a pack\'s last entry forgets the pack, and a later entry of it starts afresh', () => {
    const lru = new ByteLru<string>(2);
    lru.set(1, 1, 'a', 2);
    lru.set(2, 1, 'b', 2); // evicts pack 1's only entry
    lru.set(1, 2, 'c', 1); // evicts pack 2's only entry (1 + 2 > 2)
    expect([lru.get(1, 1), lru.get(2, 1), lru.get(1, 2)]).toEqual([undefined, undefined, 'c']);
    expect(lru.bytes).toBe(1);
    lru.dropPack(1);
    expect(lru.bytes).toBe(0);
  });
});

describe('BaseCache', () => {
  const object = (n: number): GitObject => ({ type: 'blob', data: new Uint8Array(n) });

  it('keeps bases of at most a quarter of its budget, counting their data bytes', () => {
    expect(BASE_CACHE_BYTES).toBe(64 * 1024 * 1024);
    expect(new BaseCache().maxBytes).toBe(BASE_CACHE_BYTES);
    expect(sharedBaseCache.maxBytes).toBe(BASE_CACHE_BYTES);
    const cache = new BaseCache(100);
    const quarter = object(25);
    cache.set(1, 12, quarter);
    cache.set(1, 40, object(26));
    expect(cache.get(1, 12)).toBe(quarter);
    expect(cache.get(1, 40)).toBeUndefined();
    expect(cache.bytes).toBe(25);
  });

  it('evicts by bytes across packs and drops one pack', () => {
    const cache = new BaseCache(100);
    for (let i = 0; i < 4; i++) cache.set(i % 2, i, object(25));
    expect(cache.bytes).toBe(100);
    cache.set(5, 0, object(1));
    expect(cache.get(0, 0)).toBeUndefined();
    expect(cache.bytes).toBe(76);
    cache.dropPack(1);
    expect(cache.bytes).toBe(26);
    expect([cache.get(1, 1), cache.get(1, 3)]).toEqual([undefined, undefined]);
    expect(cache.get(0, 2)?.data.length).toBe(25);
  });
});
