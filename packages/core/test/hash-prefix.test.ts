import { describe, expect, it } from 'vitest';
import { MemoryBacking, MemoryDriver, hashObject, openStore, resolveHashPrefix } from '@gitty/core';

/** The first `n` hex digits shared by two payloads' hashes, found by a birthday search. */
function colliding(type: string, make: (i: number) => string, n = 4): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const payload = make(i);
    const prefix = hashObject(type, new TextEncoder().encode(payload)).slice(0, n);
    const earlier = seen.get(prefix);
    if (earlier !== undefined) return [earlier, payload];
    seen.set(prefix, payload);
  }
}

describe('resolveHashPrefix', () => {
  it('resolves unique prefixes of 4 to 40 digits, prefers the wanted type, and names every candidate when ambiguous', async () => {
    const backing = new MemoryBacking();
    const store = await openStore(new MemoryDriver(backing));
    const other = await openStore(new MemoryDriver(backing));
    try {
      const commit = await store.create('a.txt', 'a\n');
      expect(await resolveHashPrefix(store.driver, commit.commit.slice(0, 10))).toBe(commit.commit);
      expect(await resolveHashPrefix(store.driver, commit.commit.toUpperCase())).toBe(commit.commit);
      const [x, y] = colliding('blob', (i) => `blob ${i}`);
      const [hx, hy] = [await store.save(x), await store.save(y)];
      const prefix = hx.slice(0, 4);
      await expect(resolveHashPrefix(store.driver, prefix)).rejects.toMatchObject({
        code: 'AMBIGUOUS', prefix, candidates: [hx, hy].sort().map((hash) => ({ hash, type: 'blob' })),
      });
      await expect(resolveHashPrefix(store.driver, prefix, { type: 'commit' })).rejects.toMatchObject({ code: 'NOT_FOUND', what: 'commit' });
      expect(await resolveHashPrefix(store.driver, hy.slice(0, 12))).toBe(hy);
      await expect(resolveHashPrefix(store.driver, 'abc')).rejects.toMatchObject({ code: 'INVALID_HASH' });
      await expect(resolveHashPrefix(store.driver, 'xyz1')).rejects.toMatchObject({ code: 'INVALID_HASH' });
      // Written through another driver over the same backing: found (after a rescan where needed).
      const later = await other.create('b.txt', 'b\n');
      expect(await resolveHashPrefix(store.driver, later.commit.slice(0, 8), { type: 'commit' })).toBe(later.commit);
      // The Store method does the same (and takes a full hash as it is).
      expect(await store.resolveHash(later.commit.slice(0, 6), { type: 'commit' })).toBe(later.commit);
      expect(await store.resolveHash(later.commit)).toBe(later.commit);
      await expect(store.resolveHash(prefix)).rejects.toMatchObject({ code: 'AMBIGUOUS' });
    } finally {
      await store.close();
      await other.close();
    }
  });
});
