import { matchesQuery, orderAndPage, type Commit, type Driver, type FileEntry, type FileQuery } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, eventually, failsWith, sameBytes } from '../util.js';

/** Each capability and the methods a driver declaring it must have. */
const CAPABILITY_METHODS: Record<string, Array<keyof Driver>> = {
  rawObjects: ['loadRaw', 'storeRaw'],
  watch: ['watch'],
  packs: ['repack', 'unpack'],
  objectTimes: ['objectTime'],
  reindex: ['reindex'],
  query: ['queryFiles', 'queryHistory'],
  search: ['search'],
};

/** Load every object of a driver, to compare before and after maintenance. */
async function snapshot(driver: Driver): Promise<Map<string, { type: string; data: Uint8Array }>> {
  const out = new Map<string, { type: string; data: Uint8Array }>();
  for (const hash of await collect(driver.objects())) out.set(hash, (await driver.loadObject(hash))!);
  return out;
}

/** Capabilities beyond the core contract: packs, reindex, indexed queries and search. */
export function maintenanceTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('capabilities and maintenance', () => {
    it('every declared capability comes with its methods', async ({ driver }) => {
      const missing: string[] = [];
      for (const [capability, methods] of Object.entries(CAPABILITY_METHODS)) {
        if (!driver.capabilities[capability as keyof typeof driver.capabilities]) continue;
        for (const method of methods) if (typeof driver[method] !== 'function') missing.push(`${capability}: ${method}`);
      }
      expect(missing).toEqual([]);
      expect(typeof driver.name).toBe('string');
    });

    it('packs: repack and unpack keep every object readable (else UNSUPPORTED)', async (fixture) => {
      const { driver } = fixture;
      const store = await fixture.store();
      let head = (await store.create('p.pl', 'line\n'.repeat(50))).commit;
      for (let i = 0; i < 15; i++) head = (await store.update('p.pl', `${'line\n'.repeat(50)}edit ${i}\n`, { previous: head })).commit;
      for (let i = 0; i < 10; i++) await store.create(`f${i}.txt`, `file ${i}`);
      await store.save(new Uint8Array([0, 1, 2, 255]), 'note');
      if (!driver.capabilities.packs) {
        await failsWith('UNSUPPORTED', () => store.repack());
        await failsWith('UNSUPPORTED', () => store.unpack());
        return;
      }
      const before = await snapshot(driver);
      let versions = 16;
      const check = async () => {
        const after = await snapshot(driver);
        expect(new Set(after.keys())).toEqual(new Set(before.keys()));
        for (const [hash, object] of before) {
          const got = after.get(hash)!;
          expect(got.type).toBe(object.type);
          expect(sameBytes(got.data, object.data)).toBe(true);
        }
        expect((await store.fsck()).errors).toEqual([]);
        expect((await store.history('p.pl', { depth: 100 })).history.length).toBe(versions);
      };
      const report = await store.repack({ minFiles: 1 });
      expect(report.packed).toBeGreaterThanOrEqual([...before.values()].filter((o) => ['blob', 'commit', 'tree', 'tag'].includes(o.type)).length); // git packs hold only git's four types
      await check();
      // Written after the pack: loose again, then everything unpacked.
      await store.update('p.pl', 'after the pack', { previous: head });
      versions++;
      before.clear();
      for (const [k, v] of await snapshot(driver)) before.set(k, v);
      const unpacked = await store.unpack();
      expect(unpacked.unpacked).toBeGreaterThanOrEqual(1);
      await check();
    });

    it('reindex: the store reads the same afterwards (else UNSUPPORTED)', async (fixture) => {
      const store = await fixture.store();
      const a = await store.create('a.pl', 'one', { tags: ['t'] });
      await store.update('a.pl', 'two', { previous: a.commit });
      await store.create('b.txt', 'bee');
      if (!fixture.driver.capabilities.reindex) {
        await failsWith('UNSUPPORTED', () => store.reindex());
        return;
      }
      const before = await collect(store.files());
      await store.reindex();
      expect(await collect(store.files())).toEqual(before);
      expect((await store.get('a.pl')).text).toBe('two');
    });

    it('query: files(query) and history agree with the scan fallback', async (fixture) => {
      const { driver } = fixture;
      const store = await fixture.store();
      const t0 = 1_700_000_000;
      const authors = ['ann', 'bob', 'cy'];
      for (let i = 0; i < 12; i++) {
        const name = `${i % 3 === 0 ? 'lib' : 'doc'}${String(i).padStart(2, '0')}.${i % 2 ? 'pl' : 'md'}`;
        const c = await store.create(name, `v1 of ${name}`, { author: authors[i % 3]!, tags: i % 4 ? ['even'] : ['odd', 'x'], time: t0 + i * 10 });
        if (i % 5 === 0) await store.update(name, `v2 of ${name}`, { previous: c.commit, time: t0 + 500 + i });
      }
      const queries: FileQuery[] = [
        {}, { ext: 'pl' }, { tag: 'odd' }, { author: 'bob' }, { since: t0 + 30, until: t0 + 90 }, { namePrefix: 'lib' },
        { order: 'time' }, { order: 'time', limit: 3, offset: 2 }, { ext: 'md', tag: 'even', limit: 2 }, { author: 'nobody' },
      ];
      // The expected answer, computed here from every head: the contract every driver shares.
      const all: FileEntry[] = [];
      for await (const { name, head } of driver.heads()) all.push({ name, head, commit: await store.commit(head) });
      const expected = (q: FileQuery) => orderAndPage(all.filter((e) => matchesQuery(e.name, e.commit, q)), q).map((e) => [e.name, e.head]);
      for (const q of queries) {
        expect([JSON.stringify(q), (await collect(store.files(q))).map((e) => [e.name, e.head])]).toEqual([JSON.stringify(q), expected(q)]);
        if (driver.capabilities.query) {
          const indexed = await driver.queryFiles!(q);
          expect([JSON.stringify(q), indexed.map((e) => [e.name, e.head])]).toEqual([JSON.stringify(q), expected(q)]);
        }
      }
      if (driver.capabilities.query) {
        const head = (await store.head('lib00.md'))!;
        const walked: Commit[] = await collect(store.walk(head));
        expect((await driver.queryHistory!(head, 10)).map((c) => c.commit)).toEqual(walked.map((c) => c.commit));
        expect((await driver.queryHistory!(head, 1)).map((c) => c.commit)).toEqual([head]);
      }
    });

    it('gc with a grace keeps what a young unreachable commit reaches, so fsck is clean after it', async (fixture) => {
      const { driver } = fixture;
      if (!driver.capabilities.objectTimes) return; // a grace needs object times (UNSUPPORTED: the objects group)
      const store = await fixture.store();
      const graceMs = 2_000;
      const g1 = await store.create('gone.pl', 'v1');
      const g2 = await store.update('gone.pl', 'v2', { previous: g1.commit });
      await store.delete('gone.pl');
      const oldOrphan = await store.save('old orphan');
      const old = await collect(driver.objects());
      // Age by the driver's own clock: wait until every object so far is past the grace.
      await eventually(async () => {
        for (const hash of old) if (Date.now() - (await driver.objectTime!(hash))! < graceMs + 100) return false;
        return true;
      }, 'objects to age past the grace', 30_000);
      // An update that lost to the delete: its commit is written (young), its previous is old history.
      await failsWith('NOT_AT_HEAD', () => store.update('gone.pl', 'v3', { previous: g2.commit }));
      // A packed object's time is its pack's, so a driver that packed the orphan with young
      // objects may call it young; gc goes by what the driver says.
      const orphanOld = Date.now() - (await driver.objectTime!(oldOrphan))! >= graceMs;
      const report = await store.gc({ graceMs });
      expect((await store.fsck()).errors).toEqual([]);
      // Kept at least: the failed commit and its blob (young), and the old history they reach
      // (gone.pl's two commits and blobs). Deleted: the old orphan blob, when old.
      expect([report.unreachable, report.deleted, report.kept]).toEqual(orphanOld ? [7, 1, 6] : [7, 0, 7]);
      expect(await store.has(oldOrphan)).toBe(!orphanOld);
      for (const [commit, text] of [[g2.commit, 'v2'], [g1.commit, 'v1']] as const) {
        expect(await store.has(commit)).toBe(true);
        expect((await store.get(commit)).text).toBe(text);
      }
    });

    it('search: driver search agrees with a scan of current content', async (fixture) => {
      const { driver } = fixture;
      const store = await fixture.store();
      const texts: Record<string, string> = {
        'a.pl': 'the quick brown fox', 'b.pl': 'a Brown bear', 'c.md': 'nothing here', 'd.md': 'BROWN sugar and fox',
      };
      for (const [name, text] of Object.entries(texts)) await store.create(name, text);
      const old = await store.create('e.pl', 'once brown');
      await store.update('e.pl', 'now green', { previous: old.commit });
      for (const word of ['brown', 'fox', 'green', 'absent']) {
        const expected = Object.entries({ ...texts, 'e.pl': 'now green' })
          .filter(([, text]) => text.toLowerCase().includes(word)).map(([name]) => name).sort();
        expect([word, (await store.search(word)).map((h) => h.name).sort()]).toEqual([word, expected]);
        if (driver.capabilities.search) {
          expect([word, (await driver.search!(word)).map((h) => h.name).sort()]).toEqual([word, expected]);
        }
      }
      expect((await store.search('brown', { ext: 'md' })).map((h) => h.name)).toEqual(['d.md']);
    });
  });
}
