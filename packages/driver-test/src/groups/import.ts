import {
  MemoryDriver, openObjectBatch, openStore, updateHeads, hashObject,
  type ImportConflictError, type ImportAbortedError, type ImportVersion, type Progress,
} from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, commitHead, failsWith, putCommit, utf8 } from '../util.js';

const T0 = 1_700_000_000;

/** An async iterable over `versions` that runs `between(i)` before yielding the i-th. */
async function* paced(versions: readonly ImportVersion[], between: (index: number) => Promise<void> | void): AsyncIterable<ImportVersion> {
  for (let i = 0; i < versions.length; i++) {
    await between(i);
    yield versions[i]!;
  }
}

/**
 * Bulk import (`Store.import`) and the driver primitives behind it (`openObjectBatch`,
 * `updateHeads`, or the core's fallbacks where a driver lacks them): chaining, equality with
 * create/update, per-file CAS conflicts, abort, validation and progress.
 */
export function importTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('Store.import', () => {
    it('chains versions per name in iteration order, onto existing heads, with the hashes create/update give', async (fixture) => {
      const store = await fixture.store();
      const first = await store.create('a.pl', 'a1', { time: T0, tags: ['kept'], author: 'ann' });
      const versions: ImportVersion[] = [
        { name: 'a.pl', data: 'a2', meta: { time: T0 + 1, author: 'bob' } },
        { name: 'b.pl', data: utf8('b1'), meta: { time: T0 + 2, commit_message: 'new' } },
        { name: 'a.pl', data: 'a3', meta: { time: T0 + 3 } },
        { name: 'b.pl', data: 'b2', meta: { time: T0 + 4, tags: ['x', 'y'] } },
        { name: 'c.pl', data: 'a2', meta: { time: T0 + 5 } },
      ];
      const report = await store.import(versions);
      expect(report.versions).toBe(5);
      expect(report.files).toBe(3);
      expect(Object.keys(report.heads).sort()).toEqual(['a.pl', 'b.pl', 'c.pl']);
      for (const [name, head] of Object.entries(report.heads)) expect(await store.head(name)).toBe(head);
      const a = await collect(store.walk('a.pl'));
      expect(a.map((c) => c.commit).at(-1)).toBe(first.commit);
      expect(await Promise.all(a.map(async (c) => (await store.get(c.commit)).text))).toEqual(['a3', 'a2', 'a1']);
      expect(a[0]!.tags).toEqual(['kept']); // carried over as update does
      expect(a[1]!.author).toBe('bob');
      expect(a[0]!.author).toBeUndefined(); // identity keys are not carried over
      expect((await collect(store.walk('b.pl'))).map((c) => c.commit_message ?? null)).toEqual([null, 'new']);
      expect(report.objects).toBeGreaterThanOrEqual(8); // a2's blob is shared with c.pl
      // The same calls through create/update give the same commits (same format, same times).
      const twin = await openStore(new MemoryDriver());
      try {
        if ((fixture.driver.commitFormat ?? 'json') === 'json') {
          const ta1 = await twin.create('a.pl', 'a1', { time: T0, tags: ['kept'], author: 'ann' });
          expect(ta1.commit).toBe(first.commit);
          const ta2 = await twin.update('a.pl', 'a2', { previous: ta1.commit, time: T0 + 1, author: 'bob' });
          const tb1 = await twin.create('b.pl', 'b1', { time: T0 + 2, commit_message: 'new' });
          const ta3 = await twin.update('a.pl', 'a3', { previous: ta2.commit, time: T0 + 3 });
          const tb2 = await twin.update('b.pl', 'b2', { previous: tb1.commit, time: T0 + 4, tags: ['x', 'y'] });
          const tc1 = await twin.create('c.pl', 'a2', { time: T0 + 5 });
          expect(report.heads).toEqual({ 'a.pl': ta3.commit, 'b.pl': tb2.commit, 'c.pl': tc1.commit });
        }
      } finally {
        await twin.close();
      }
      expect((await store.fsck()).ok).toBe(true);
    });

    it('takes an async iterable, reports local head events, and an empty import changes nothing', async (fixture) => {
      const store = await fixture.store();
      const events: string[] = [];
      store.on('head', (e) => {
        if (e.origin === 'local') events.push(`${e.name}:${e.old === null ? 'new' : 'moved'}`);
      });
      expect(await store.import([])).toEqual({ versions: 0, files: 0, objects: 0, heads: {} });
      const report = await store.import(paced([{ name: 'x.txt', data: 'one' }, { name: 'x.txt', data: 'two' }], () => undefined));
      expect(report.versions).toBe(2);
      expect((await store.get('x.txt')).text).toBe('two');
      expect(events).toEqual(['x.txt:new']);
    });

    it('a head moved by another writer during the import: that file fails with NOT_AT_HEAD, the others are switched, nothing is lost', async (fixture) => {
      const store = await fixture.store();
      const other = fixture.canOpenAnother ? await fixture.store(await fixture.openAnother()) : store;
      const a1 = await store.create('a.pl', 'a1');
      const gone = await store.create('gone.pl', 'g1');
      let raced = '';
      const versions: ImportVersion[] = [
        { name: 'a.pl', data: 'import a2' },
        { name: 'gone.pl', data: 'import g2' },
        { name: 'new.pl', data: 'import n1' },
        { name: 'b.pl', data: 'import b1' },
        { name: 'a.pl', data: 'import a3' },
      ];
      const err = await failsWith('NOT_AT_HEAD', () => store.import(paced(versions, async (i) => {
        if (i !== 3) return;
        // After the import read these heads: a concurrent update, delete and create.
        raced = (await other.update('a.pl', 'theirs', { previous: a1.commit })).commit;
        await other.delete('gone.pl', { previous: gone.commit });
        await other.create('new.pl', 'created meanwhile');
      })));
      const conflict = err as ImportConflictError;
      const byName = new Map(conflict.conflicts.map((c) => [c.name, c]));
      expect([...byName.keys()].sort()).toEqual(['a.pl', 'gone.pl', 'new.pl']);
      expect(byName.get('a.pl')!.expected).toBe(a1.commit);
      expect(byName.get('a.pl')!.head).toBe(raced);
      expect(byName.get('a.pl')!.versions).toBe(2);
      expect(byName.get('gone.pl')!.head).toBe(null);
      expect(byName.get('new.pl')!.expected).toBe(null);
      expect(Object.keys(conflict.applied)).toEqual(['b.pl']);
      await store.rescan();
      expect(await store.head('a.pl')).toBe(raced);
      expect(await store.head('gone.pl')).toBeUndefined();
      expect((await store.get('new.pl')).text).toBe('created meanwhile');
      expect((await store.get('b.pl')).text).toBe('import b1');
      // The refused versions are stored, chained onto the head the import started from.
      const tip = await collect(store.walk(byName.get('a.pl')!.tip));
      expect(await Promise.all(tip.map(async (c) => (await store.get(c.commit)).text))).toEqual(['import a3', 'import a2', 'a1']);
      expect((await store.fsck()).ok).toBe(true);
    });

    it('an abort stops the import with ABORTED before any head moves', async (fixture) => {
      const store = await fixture.store();
      const kept = await store.create('a.pl', 'a1');
      const controller = new AbortController();
      const versions: ImportVersion[] = Array.from({ length: 20 }, (_, i) => ({ name: `f${i % 4}.txt`, data: `v${i}` }));
      const err = await failsWith('ABORTED', () => store.import(paced([{ name: 'a.pl', data: 'a2' }, ...versions], (i) => {
        if (i === 10) controller.abort();
      }), { signal: controller.signal }));
      expect((err as ImportAbortedError).applied).toEqual({});
      expect(await store.head('a.pl')).toBe(kept.commit);
      expect((await collect(store.driver.heads())).map((h) => h.name)).toEqual(['a.pl']);
      await failsWith('ABORTED', () => store.import(versions, { signal: AbortSignal.abort() }));
      expect((await collect(store.driver.heads())).length).toBe(1);
      expect((await store.fsck()).ok).toBe(true);
    });

    it('an abort during the head phase: one batched step switches every file; one by one, the files switched so far are named and no other head moves', async (fixture) => {
      const store = await fixture.store();
      const controller = new AbortController();
      store.on('head', (e) => {
        if (e.origin === 'local') controller.abort();
      });
      const versions: ImportVersion[] = ['h0.txt', 'h1.txt', 'h2.txt', 'h3.txt'].map((name) => ({ name, data: `${name} data` }));
      const batched = fixture.driver.capabilities.headBatches === true && typeof fixture.driver.updateHeads === 'function';
      const outcome = await store.import(versions, { signal: controller.signal }).then((r) => r, (e: unknown) => e);
      const heads = (await collect(store.driver.heads())).map((h) => h.name).sort();
      if (batched) {
        expect(Object.keys((outcome as { heads: Record<string, string> }).heads).sort()).toEqual(['h0.txt', 'h1.txt', 'h2.txt', 'h3.txt']);
        expect(heads).toEqual(['h0.txt', 'h1.txt', 'h2.txt', 'h3.txt']);
      } else {
        expect((outcome as ImportAbortedError).code).toBe('ABORTED');
        const applied = Object.keys((outcome as ImportAbortedError).applied);
        expect(applied).toHaveLength(1);
        expect(heads).toEqual(applied);
      }
    });

    it('an abort from a timer (a Ctrl-C handler) stops an array import mid-way: the import lets the event loop run', async (fixture) => {
      const store = await fixture.store();
      const controller = new AbortController();
      const versions: ImportVersion[] = Array.from({ length: 3000 }, (_, i) => ({ name: `t${i % 10}.txt`, data: `v${i}` }));
      setTimeout(() => controller.abort(), 0);
      await failsWith('ABORTED', () => store.import(versions, { signal: controller.signal }));
      expect(await collect(store.driver.heads())).toEqual([]);
    });

    it('validates every version as create/update do, and moves no head when one is bad', async (fixture) => {
      const store = await fixture.store(undefined, { maxObjectSize: 64 * 1024 });
      const kept = await store.create('a.pl', 'a1');
      const good: ImportVersion[] = [{ name: 'a.pl', data: 'a2' }, { name: 'b.pl', data: 'b1' }];
      const cases: [string, ImportVersion][] = [
        ['INVALID_NAME', { name: 'a/b', data: 'x' }],
        ['INVALID_NAME', { name: '', data: 'x' }],
        ['INVALID_ARGUMENT', { name: 'c.pl', data: 42 as unknown as string }],
        ['INVALID_ARGUMENT', { name: 'c.pl', data: 'x', meta: { tags: 'one' } }],
        ['INVALID_ARGUMENT', { name: 'c.pl', data: 'x', meta: { time: 'now' } }],
        ['INVALID_ARGUMENT', { name: 'a.pl', data: 'x', meta: { previous: kept.commit } }],
        ['OBJECT_TOO_LARGE', { name: 'c.pl', data: new Uint8Array(64 * 1024 + 1) }],
      ];
      for (const [code, bad] of cases) {
        await failsWith(code as 'INVALID_NAME', () => store.import([...good, bad, { name: 'd.pl', data: 'after' }]));
        expect(await store.head('a.pl')).toBe(kept.commit);
        expect((await collect(store.driver.heads())).map((h) => h.name)).toEqual(['a.pl']);
      }
      await failsWith('INVALID_ARGUMENT', () => store.import([null as unknown as ImportVersion]));
      expect((await store.fsck()).ok).toBe(true);
    });

    it('reports progress in phase import, done counting up to the total', async (fixture) => {
      const store = await fixture.store();
      const n = Math.round(600 * ctx.scale);
      const versions: ImportVersion[] = Array.from({ length: n }, (_, i) => ({ name: `p${i % 7}.txt`, data: `version ${i}` }));
      const seen: Progress[] = [];
      const report = await store.import(versions, { onProgress: (p) => seen.push(p) });
      expect(report.versions).toBe(n);
      // Drivers may add their own steps (`import-pack`, …); the core's count is phase `import`.
      for (const p of seen) expect(p.phase).toMatch(/^import/);
      const counted = seen.filter((p) => p.phase === 'import');
      expect(counted.length).toBeGreaterThan(1);
      for (let i = 1; i < counted.length; i++) expect(counted[i]!.done).toBeGreaterThanOrEqual(counted[i - 1]!.done);
      expect(counted.at(-1)).toEqual({ phase: 'import', done: n, total: n });
      expect((await store.get('p3.txt')).text).toBe(`version ${n - 1 - ((n - 1 - 3) % 7)}`);
    });
  });

  test.describe('batched writes (driver primitives or their fallbacks)', () => {
    it('updateHeads applies each change whose old is the head, refuses the others with the actual head', async (fixture) => {
      const driver = fixture.driver;
      const a1 = await commitHead(driver, 'a.pl', 'a1');
      const b1 = await commitHead(driver, 'b.pl', 'b1');
      const a2 = await putCommit(driver, 'a.pl', 'a2', a1);
      const b2 = await putCommit(driver, 'b.pl', 'b2', b1);
      const c1 = await putCommit(driver, 'c.pl', 'c1');
      const results = await updateHeads(driver, [
        { name: 'a.pl', old: a1, new: a2 },
        { name: 'b.pl', old: a1, new: b2 }, // stale
        { name: 'c.pl', old: null, new: c1 },
        { name: 'd.pl', old: b1, new: c1 }, // no such head
      ]);
      expect(results).toEqual([
        { name: 'a.pl', applied: true, head: a2 },
        { name: 'b.pl', applied: false, head: b1 },
        { name: 'c.pl', applied: true, head: c1 },
        { name: 'd.pl', applied: false, head: null },
      ]);
      await driver.rescan();
      expect(await driver.getHead('a.pl')).toBe(a2);
      expect(await driver.getHead('b.pl')).toBe(b1);
      expect(await driver.getHead('c.pl')).toBe(c1);
      expect(await driver.getHead('d.pl')).toBeUndefined();
      if (fixture.canOpenAnother) {
        const another = await fixture.openAnother();
        expect(await another.getHead('a.pl')).toBe(a2);
        expect(await another.getHead('c.pl')).toBe(c1);
      }
    });

    it('an object batch makes its objects readable once committed; an aborted one leaves heads and older objects alone', async (fixture) => {
      const driver = fixture.driver;
      const before = await commitHead(driver, 'a.pl', 'kept');
      const batch = await openObjectBatch(driver);
      const hashes: string[] = [];
      for (let i = 0; i < 50; i++) {
        const data = utf8(`object ${i} `.repeat(i + 1));
        const hash = hashObject('blob', data);
        await batch.add(hash, 'blob', data);
        await batch.add(hash, 'blob', data); // idempotent
        hashes.push(hash);
      }
      expect((await batch.commit()).objects).toBe(50);
      for (const [i, hash] of hashes.entries()) {
        const object = await driver.loadObject(hash);
        expect(object?.type).toBe('blob');
        expect(new TextDecoder().decode(object!.data)).toBe(`object ${i} `.repeat(i + 1));
      }
      const dropped = await openObjectBatch(driver);
      await dropped.add(hashObject('blob', utf8('dropped')), 'blob', utf8('dropped'));
      await dropped.abort();
      await dropped.abort();
      expect(await driver.getHead('a.pl')).toBe(before);
      expect((await driver.loadObject(before))?.type).toBe('commit');
    });
  });
}
