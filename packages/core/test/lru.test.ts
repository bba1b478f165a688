import { describe, expect, it } from 'vitest';
import { LruCache } from '@gitty/core';

describe('LruCache', () => {
  it('evicts the least recently used entry once past capacity; a get counts as a use', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent, b the least
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('a set of an existing key replaces its value and makes it the most recent', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(10);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBe(3);
  });

  it('holds exactly capacity entries', () => {
    const cache = new LruCache<number, number>(3);
    for (let i = 0; i < 3; i++) cache.set(i, i);
    for (let i = 0; i < 3; i++) expect(cache.get(i)).toBe(i);
    cache.set(3, 3);
    expect(cache.get(0)).toBeUndefined();
    expect([1, 2, 3].map((i) => cache.get(i))).toEqual([1, 2, 3]);
  });

  it('a miss does not disturb the order', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('zzz')).toBeUndefined();
    cache.set('c', 3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
  });

  it('a miss takes no room: it stores nothing that could push a real entry out', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    expect(cache.get('missing')).toBeUndefined();
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('b')).toBe(2);
  });

  it('capacity 0 (or less) caches nothing', () => {
    for (const capacity of [0, -1]) {
      const cache = new LruCache<string, number>(capacity);
      cache.set('a', 1);
      expect(cache.get('a')).toBeUndefined();
    }
  });

  it('delete and clear remove entries', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
  });
});
