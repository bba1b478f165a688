import { hashObject, type Commit } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, pseudoRandomBytes, sameBytes, utf8 } from '../util.js';

/** The Store API on top of the driver: versions, history, diff, listing, raw objects, fsck. */
export function storeTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('Store API', () => {
    it('create and get round-trip strings and bytes exactly', async (fixture) => {
      const store = await fixture.store();
      const texts = ['', 'plain\n', 'crlf\r\nline', '\uFEFFbom', 'ünïcödé € 🦉', 'no newline at end'];
      for (const [i, text] of texts.entries()) {
        await store.create(`t${i}.txt`, text);
        const got = await store.get(`t${i}.txt`);
        expect(got.text).toBe(text);
        expect(sameBytes(got.data, utf8(text))).toBe(true);
      }
      const bytes = pseudoRandomBytes(70_000, 3);
      bytes[0] = 0xff; // never valid UTF-8
      const c = await store.create('b.bin', bytes);
      expect(c.data).toBe(hashObject('blob', bytes));
      expect(sameBytes((await store.get('b.bin')).data, bytes)).toBe(true);
    });

    it('create returns the stored commit: name, data hash, time, user metadata, no previous', async (fixture) => {
      const store = await fixture.store();
      const before = Date.now() / 1000;
      const c = await store.create('a.pl', 'hello\n', { author: 'jan', tags: ['x', 'y'], commit_message: 'first', nested: { n: 1 } });
      expect(c.name).toBe('a.pl');
      expect(c.data).toBe(hashObject('blob', utf8('hello\n')));
      expect(c.previous).toBeUndefined();
      expect(c.time).toBeGreaterThanOrEqual(before - 1);
      expect(c.author).toBe('jan');
      expect(c.tags).toEqual(['x', 'y']);
      expect(c.nested).toEqual({ n: 1 });
      const object = await fixture.driver.loadObject(c.commit);
      expect(object?.type).toBe('commit');
      expect(hashObject('commit', object!.data)).toBe(c.commit);
      expect(await store.commit('a.pl')).toEqual(c);
      expect(await store.commit(c.commit)).toEqual(c);
      expect(await store.head('a.pl')).toBe(c.commit);
    });

    it('update chains versions, carries metadata over except identity keys, and old versions stay readable', async (fixture) => {
      const store = await fixture.store();
      const c1 = await store.create('a.pl', 'one', { author: 'jan', tags: ['t'], title: 'T', commit_message: 'm' });
      const c2 = await store.update('a.pl', 'two', { previous: c1.commit, author: 'bob' });
      expect(c2.previous).toBe(c1.commit);
      expect(c2.tags).toEqual(['t']);
      expect(c2.title).toBe('T');
      expect(c2.author).toBe('bob');
      expect(c2.commit_message).toBeUndefined();
      const c3 = await store.update('a.pl', 'three', { previous: c2.commit, tags: [] });
      expect(c3.author).toBeUndefined();
      expect(c3.tags).toEqual([]);
      expect((await store.get(c1.commit)).text).toBe('one');
      expect((await store.get(c2.commit)).text).toBe('two');
      expect((await store.get('a.pl')).text).toBe('three');
      const walked = (await collect(store.walk('a.pl'))).map((c) => c.commit);
      expect(walked).toEqual([c3.commit, c2.commit, c1.commit]);
    });

    it('history windows: depth, and includes deep in a long history', async (fixture) => {
      const store = await fixture.store();
      const chain: Commit[] = [await store.create('h.pl', 'v0')];
      for (let i = 1; i < 20; i++) chain.push(await store.update('h.pl', `v${i}`, { previous: chain[i - 1]!.commit }));
      const newestFirst = chain.map((c) => c.commit).reverse();
      const def = await store.history('h.pl');
      expect(def.history.map((c) => c.commit)).toEqual(newestFirst.slice(0, 5));
      expect(def.skipped).toBe(0);
      expect((await store.history('h.pl', { depth: 3 })).history.map((c) => c.commit)).toEqual(newestFirst.slice(0, 3));
      expect((await store.history('h.pl', { depth: 50 })).history.length).toBe(20);
      // From an older version the window starts there.
      expect((await store.history(newestFirst[10]!, { depth: 2 })).history.map((c) => c.commit)).toEqual(newestFirst.slice(10, 12));
      // includes near the head: the newest window already holds it.
      const near = await store.history('h.pl', { depth: 6, includes: newestFirst[3] });
      expect(near).toEqual({ history: (await store.history('h.pl', { depth: 6 })).history, skipped: 0 });
      // includes deeper (SWISH's rule): the newest commits, then a run of max(depth - at,
      // ceil(depth/2)) from the included one; `skipped` counts those left out between.
      for (const [at, depth, newest, skipped] of [[15, 6, 3, 12], [19, 5, 4, 15], [8, 4, 2, 6], [12, 1, 0, 12], [4, 6, 3, 1]] as const) {
        const window = await store.history('h.pl', { depth, includes: newestFirst[at] });
        const run = newestFirst.slice(at, at + depth - newest);
        expect(window.skipped).toBe(skipped);
        expect(window.history.map((c) => c.commit)).toEqual([...newestFirst.slice(0, newest), ...run]);
      }
    });

    it('diff: unified text diff, tags added and deleted, binary versions, and the initial version', async (fixture) => {
      const store = await fixture.store();
      const c1 = await store.create('d.pl', 'a\nb\nc\n', { tags: ['keep', 'drop'] });
      const c2 = await store.update('d.pl', 'a\nB\nc\n', { previous: c1.commit, tags: ['keep', 'new'] });
      const d = await store.diff(c1.commit, c2.commit);
      expect(d.data).toContain('-b');
      expect(d.data).toContain('+B');
      expect(d.tags).toEqual({ added: ['new'], deleted: ['drop'] });
      expect(d.initial).toBeUndefined();
      expect((await store.diff(c2.commit)).data).toBe(d.data);
      const initial = await store.diff(c1.commit);
      expect(initial.initial).toBe(true);
      expect(initial.from).toBe(null);
      expect(initial.data).toContain('+b');
      expect(initial.tags).toEqual({ added: ['drop', 'keep'], deleted: [] });
      expect((await store.diff(c2.commit, c2.commit)).data).toBe('');
      const b1 = await store.create('x.bin', new Uint8Array([0xff, 0, 1]));
      const b2 = await store.update('x.bin', new Uint8Array([0xff, 0, 2]), { previous: b1.commit });
      const bd = await store.diff('x.bin');
      expect(bd.binary).toBe(true);
      expect(bd.data).toContain(b2.commit);
    });

    it('files() lists every file with its head, by name; ext filters; deleted files disappear', async (fixture) => {
      const store = await fixture.store();
      const heads = new Map<string, string>();
      for (const name of ['c.pl', 'a.pl', 'b.swinb', 'd']) heads.set(name, (await store.create(name, name)).commit);
      const listed = await collect(store.files());
      expect(listed.map((f) => f.name)).toEqual(['a.pl', 'b.swinb', 'c.pl', 'd']);
      for (const f of listed) {
        expect(f.head).toBe(heads.get(f.name));
        expect(f.commit.commit).toBe(f.head);
      }
      expect((await collect(store.files({ ext: 'pl' }))).map((f) => f.name)).toEqual(['a.pl', 'c.pl']);
      await store.delete('c.pl');
      expect((await collect(store.files({ ext: 'pl' }))).map((f) => f.name)).toEqual(['a.pl']);
      expect(await store.head('c.pl')).toBeUndefined();
      // A deleted name starts a new history.
      const again = await store.create('c.pl', 'reborn');
      expect(again.previous).toBeUndefined();
    });

    it('search finds files by their current content (indexed or by scan)', async (fixture) => {
      const store = await fixture.store();
      const a = await store.create('a.pl', 'the quick brown fox');
      await store.update('a.pl', 'the lazy dog', { previous: a.commit });
      await store.create('b.pl', 'A Brown bear sleeps');
      await store.create('c.txt', 'nothing to see');
      expect((await store.search('brown')).map((h) => h.name).sort()).toEqual(['b.pl']);
      expect((await store.search('lazy')).map((h) => h.name)).toEqual(['a.pl']);
      expect(await store.search('absent')).toEqual([]);
    });

    it('save and load raw objects of any type; has', async (fixture) => {
      const store = await fixture.store();
      const h1 = await store.save('raw text');
      expect(h1).toBe(hashObject('blob', utf8('raw text')));
      const h2 = await store.save(new Uint8Array([1, 2, 3]), 'note');
      expect(await store.save('raw text')).toBe(h1);
      expect(await store.load(h1)).toEqual({ type: 'blob', data: utf8('raw text') });
      const note = await store.load(h2);
      expect(note.type).toBe('note');
      expect([...note.data]).toEqual([1, 2, 3]);
      expect(await store.has(h2)).toBe(true);
      expect(await store.has(hashObject('blob', utf8('nope')))).toBe(false);
    });

    it('fsck of a store written through the API is clean and counts what it holds', async (fixture) => {
      const store = await fixture.store();
      const a = await store.create('a.pl', 'one', { tags: ['x'] });
      await store.update('a.pl', 'two', { previous: a.commit });
      await store.create('b.pl', 'one'); // shares its blob with a.pl's first version
      await store.save('loose', 'note');
      const report = await store.fsck();
      expect(report.errors).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.counts).toEqual({ objects: 6, commits: 3, blobs: 2, other: 1, heads: 2, corrupt: 0 });
    });

    it('gc with no grace deletes what no head reaches and keeps every version', async (fixture) => {
      const store = await fixture.store();
      const a = await store.create('a.pl', 'one');
      await store.update('a.pl', 'two', { previous: a.commit });
      const orphan = await store.save('orphan');
      const gone = await store.create('gone.pl', 'only here');
      await store.delete('gone.pl');
      const report = await store.gc({ graceMs: 0 });
      expect(report.deleted).toBe(3); // orphan, gone.pl's commit and blob
      expect(await store.has(orphan)).toBe(false);
      expect(await store.has(gone.commit)).toBe(false);
      expect((await store.get(a.commit)).text).toBe('one');
      expect((await store.fsck()).ok).toBe(true);
      if (fixture.driver.capabilities.objectTimes) {
        const young = await store.save('young orphan');
        const kept = await store.gc({ graceMs: 60 * 60 * 1000 });
        expect(kept.kept).toBe(1);
        expect(await store.has(young)).toBe(true);
      }
    });
  });
}
