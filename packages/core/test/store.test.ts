import { describe, expect, it } from 'vitest';
import { MemoryBacking, MemoryDriver, openStore, type HeadEvent, type Meta } from '@gitty/core';

describe('Store', () => {
  it('reports its own head changes as local and another driver\'s as remote; a throwing listener harms nobody', async () => {
    const backing = new MemoryBacking();
    const mine = await openStore(new MemoryDriver(backing));
    const theirs = await openStore(new MemoryDriver(backing));
    try {
      const events: HeadEvent[] = [];
      mine.on('head', () => {
        throw new Error('a broken listener');
      });
      const off = mine.on('head', (e) => events.push(e));
      const c1 = await mine.create('a.pl', 'one');
      const c2 = await theirs.update('a.pl', 'two', { previous: c1.commit });
      await theirs.delete('a.pl');
      expect(events).toEqual([
        { name: 'a.pl', old: null, new: c1.commit, origin: 'local' },
        { name: 'a.pl', old: c1.commit, new: c2.commit, origin: 'remote' },
        { name: 'a.pl', old: c2.commit, new: null, origin: 'remote' },
      ]);
      off();
      await mine.create('b.pl', 'x');
      expect(events).toHaveLength(3);
      expect(() => mine.on('nothead' as 'head', () => {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it('maintenance the memory driver lacks is UNSUPPORTED, naming the driver', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      for (const op of [() => store.repack(), () => store.unpack(), () => store.reindex()]) {
        await expect(op()).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('memory') });
      }
      expect(await store.driverStats()).toEqual({});
    } finally {
      await store.close();
    }
  });

  it('search by scan: case-insensitive, with a snippet, filtered and paged', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      await store.create('a.pl', 'The Needle is here');
      await store.create('b.md', 'another needle');
      await store.create('c.pl', 'hay');
      const hits = await store.search('NEEDLE');
      expect(hits.map((h) => h.name)).toEqual(['a.pl', 'b.md']);
      expect(hits[0]!.snippet).toContain('Needle');
      expect((await store.search('needle', { ext: 'md' })).map((h) => h.name)).toEqual(['b.md']);
      expect((await store.search('needle', { limit: 1, offset: 1 })).map((h) => h.name)).toEqual(['b.md']);
      await expect(store.search('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await store.close();
    }
  });

  it('keeps unusual metadata keys as data end to end', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const meta = JSON.parse('{"__proto__":{"x":1},"constructor":"c","tags":["t"]}') as Meta;
      const c = await store.create('m.pl', 'x', meta);
      const again = await store.commit(c.commit);
      expect(Object.getOwnPropertyDescriptor(again, '__proto__')?.value).toEqual({ x: 1 });
      expect(again.constructor).toBe('c');
      const next = await store.update('m.pl', 'y', { previous: c.commit });
      expect(Object.getOwnPropertyDescriptor(next, '__proto__')?.value).toEqual({ x: 1 });
    } finally {
      await store.close();
    }
  });

  it('returned commits are the caller\'s: changing one does not change what the store returns later', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const c = await store.create('a.pl', 'x', { tags: ['a'], nested: { n: 1 } });
      c.tags!.push('changed');
      (c.nested as { n: number }).n = 2;
      const again = await store.commit(c.commit);
      expect(again.tags).toEqual(['a']);
      expect(again.nested).toEqual({ n: 1 });
      again.tags!.push('also changed');
      expect((await store.commit('a.pl')).tags).toEqual(['a']);
      expect((await store.get('a.pl')).commit.tags).toEqual(['a']);
    } finally {
      await store.close();
    }
  });

  it('files() filters by tag, author, time and prefix, ordered by name or time', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      await store.create('b.pl', '1', { author: 'ann', tags: ['x'], time: 100 });
      await store.create('a.pl', '2', { author: 'bob', time: 300 });
      await store.create('c.md', '3', { author: 'ann', tags: ['x', 'y'], time: 200 });
      const names = async (q: Parameters<typeof store.files>[0]) => {
        const out: string[] = [];
        for await (const f of store.files(q)) out.push(f.name);
        return out;
      };
      expect(await names({})).toEqual(['a.pl', 'b.pl', 'c.md']);
      expect(await names({ order: 'time' })).toEqual(['a.pl', 'c.md', 'b.pl']);
      expect(await names({ tag: 'x' })).toEqual(['b.pl', 'c.md']);
      expect(await names({ author: 'ann', ext: 'md' })).toEqual(['c.md']);
      expect(await names({ since: 150, until: 300 })).toEqual(['c.md']);
      expect(await names({ namePrefix: 'a' })).toEqual(['a.pl']);
      expect(await names({ limit: 2, offset: 1 })).toEqual(['b.pl', 'c.md']);
    } finally {
      await store.close();
    }
  });
});
