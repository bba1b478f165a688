import { describe, expect, it } from 'vitest';
import { encodeCommit, hashObject, MemoryBacking, MemoryDriver, openStore, type Commit, type GitObject } from '@gitty/core';

/** Serves stored bytes under whatever hash they were filed as: the only way to build a loop. */
class UncheckedMemoryDriver extends MemoryDriver {
  override async loadObject(hash: string): Promise<GitObject | undefined> {
    const found = this.backing.objects.get(hash);
    return found && { type: found.type, data: found.data };
  }
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('Store: create and update times', () => {
  it('a create or update without time records now, in seconds (a float, like SWISH)', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const before = Date.now() / 1000;
      const created = await store.create('t.pl', 'one');
      const updated = await store.update('t.pl', 'two', { previous: created.commit });
      const after = Date.now() / 1000;
      for (const commit of [created, updated, await store.commit(updated.commit)]) {
        expect(commit.time).toBeGreaterThanOrEqual(before - 1);
        expect(commit.time).toBeLessThanOrEqual(after + 1);
      }
    } finally {
      await store.close();
    }
  });

  it('a given finite time is kept exactly', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const created = await store.create('t.pl', 'one', { time: 1_000_000.25 });
      expect(created.time).toBe(1_000_000.25);
      const updated = await store.update('t.pl', 'two', { previous: created.commit, time: 0 });
      expect(updated.time).toBe(0);
      expect((await store.commit('t.pl')).time).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('Store.save', () => {
  it('stores a raw object under its git hash, blob by default, any lower-case type word otherwise', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const blob = await store.save('hello');
      expect(blob).toBe(hashObject('blob', new TextEncoder().encode('hello')));
      expect(await store.load(blob)).toEqual({ type: 'blob', data: new TextEncoder().encode('hello') });
      const bytes = new Uint8Array([0, 1, 2, 255]);
      const note = await store.save(bytes, 'note-1');
      expect(note).toBe(hashObject('note-1', bytes));
      expect(await store.load(note)).toEqual({ type: 'note-1', data: bytes });
      expect(await store.has(note)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('refuses a type that is not a lower-case word and data that is neither string nor bytes, storing nothing', async () => {
    const backing = new MemoryBacking();
    const store = await openStore(new MemoryDriver(backing));
    try {
      for (const type of ['Blob', '', 'a b', '1blob', 'x'.repeat(33), 42 as unknown as string]) {
        await expect(store.save('x', type)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: `object type "${type}" is not a lower-case word` });
      }
      for (const data of [42, null, undefined, { length: 1 }, [1, 2]]) {
        await expect(store.save(data as unknown as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'data must be a string or a Uint8Array' });
        await expect(store.create('f.pl', data as unknown as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      expect(backing.objects.size).toBe(0);
      expect(backing.heads.size).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('refuses an object over maxObjectSize with OBJECT_TOO_LARGE', async () => {
    const store = await openStore({ driver: 'memory', maxObjectSize: 4 });
    try {
      await expect(store.save('12345')).rejects.toMatchObject({ code: 'OBJECT_TOO_LARGE' });
      expect(await store.save('1234')).toBe(hashObject('blob', new TextEncoder().encode('1234')));
    } finally {
      await store.close();
    }
  });
});

describe('Store.walk', () => {
  it('stops a history whose previous chain loops with CORRUPT_OBJECT instead of walking forever', async () => {
    const backing = new MemoryBacking();
    const data = hashObject('blob', new Uint8Array());
    const file = (previous: string) => encodeCommit({ name: 'loop.pl', data, time: 1, previous });
    backing.objects.set(A, { type: 'commit', data: file(B), time: 0 });
    backing.objects.set(B, { type: 'commit', data: file(A), time: 0 });
    backing.heads.set('loop.pl', A);
    const store = await openStore(new UncheckedMemoryDriver(backing));
    try {
      const seen: string[] = [];
      const walking = (async () => {
        for await (const commit of store.walk('loop.pl')) {
          seen.push(commit.commit);
          if (seen.length > 10) throw new Error('walk did not notice the loop');
        }
      })();
      await expect(walking).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: `Corrupt object ${A} in history: the previous chain loops` });
      expect(seen).toEqual([A, B]);
    } finally {
      await store.close();
    }
  });

  it('walks a history newest first down to the first version', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const c1 = await store.create('w.pl', '1');
      const c2 = await store.update('w.pl', '2', { previous: c1.commit });
      const c3 = await store.update('w.pl', '3', { previous: c2.commit });
      const walked: Commit[] = [];
      for await (const commit of store.walk('w.pl')) walked.push(commit);
      expect(walked.map((c) => c.commit)).toEqual([c3.commit, c2.commit, c1.commit]);
      const fromMiddle: string[] = [];
      for await (const commit of store.walk(c2.commit)) fromMiddle.push(commit.commit);
      expect(fromMiddle).toEqual([c2.commit, c1.commit]);
    } finally {
      await store.close();
    }
  });
});
