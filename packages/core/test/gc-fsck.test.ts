import { describe, expect, it } from 'vitest';
import { encodeCommit, hashObject, MemoryBacking, MemoryDriver, openStore, type Driver, type Store } from '@gitty/core';

async function memoryStore(): Promise<{ store: Store; backing: MemoryBacking; driver: MemoryDriver }> {
  const backing = new MemoryBacking();
  const driver = new MemoryDriver(backing);
  return { store: await openStore(driver), backing, driver };
}

/** Make an object look as if it was stored `ms` ago. */
function age(backing: MemoryBacking, hash: string, ms: number): void {
  backing.objects.get(hash)!.time = Date.now() - ms;
}

const HOUR = 60 * 60 * 1000;

describe('gc', () => {
  it('deletes unreachable objects older than the grace period, keeps young ones and every reachable one', async () => {
    const { store, backing } = await memoryStore();
    try {
      const a = await store.create('a.pl', 'one');
      const a2 = await store.update('a.pl', 'two', { previous: a.commit });
      const oldOrphan = await store.save('old orphan');
      const youngOrphan = await store.save('young orphan');
      for (const hash of backing.objects.keys()) age(backing, hash, 2 * HOUR);
      age(backing, youngOrphan, 10_000);
      const dry = await store.gc({ dryRun: true });
      expect(dry).toEqual({ reachable: 4, unreachable: 2, deleted: 0, kept: 1 });
      expect(await store.has(oldOrphan)).toBe(true);
      const report = await store.gc();
      expect(report).toEqual({ reachable: 4, unreachable: 2, deleted: 1, kept: 1 });
      expect(await store.has(oldOrphan)).toBe(false);
      expect(await store.has(youngOrphan)).toBe(true);
      expect((await store.get(a.commit)).text).toBe('one');
      expect((await store.get(a2.commit)).text).toBe('two');
      expect((await store.gc({ graceMs: 5_000 })).deleted).toBe(1);
      expect((await store.fsck()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a deleted file\'s history becomes garbage; a negative grace is INVALID_ARGUMENT', async () => {
    const { store } = await memoryStore();
    try {
      const c = await store.create('gone.pl', 'bye');
      await store.delete('gone.pl');
      expect((await store.gc({ graceMs: 0 })).deleted).toBe(2);
      expect(await store.has(c.commit)).toBe(false);
      await expect(store.gc({ graceMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await store.close();
    }
  });

  it('keeps what a young unreachable commit reaches (deleted history, failed update), so fsck stays clean', async () => {
    const { store, backing } = await memoryStore();
    try {
      const kept = await store.create('kept.pl', 'one');
      const g1 = await store.create('gone.pl', 'v1');
      const g2 = await store.update('gone.pl', 'v2', { previous: g1.commit });
      await store.delete('gone.pl');
      const oldOrphan = await store.save('old orphan');
      const d1 = await store.create('del.pl', 'd1');
      for (const hash of backing.objects.keys()) age(backing, hash, 2 * HOUR);
      // A deleted file whose last version is young but whose history is old.
      const d2 = await store.update('del.pl', 'd2', { previous: d1.commit });
      await store.delete('del.pl');
      // An update that lost to the delete: its commit is written, the head move fails.
      await expect(store.update('gone.pl', 'v3', { previous: g2.commit })).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
      const failed = [...backing.objects.keys()].find((h) => backing.objects.get(h)!.type === 'commit'
        && ![kept.commit, g1.commit, g2.commit, d1.commit, d2.commit].includes(h))!;
      expect(failed).toBeDefined();

      const report = await store.gc();
      expect(await store.has(oldOrphan)).toBe(false);
      expect(report.deleted).toBe(1);
      const fsck = await store.fsck();
      expect(fsck.errors).toEqual([]);
      for (const [commit, text] of [[failed, 'v3'], [g2.commit, 'v2'], [g1.commit, 'v1'], [d2.commit, 'd2'], [d1.commit, 'd1']]) {
        expect(await store.has(commit!)).toBe(true);
        expect((await store.get(commit!)).text).toBe(text);
      }
      expect((await store.history(failed)).history).toHaveLength(3);
    } finally {
      await store.close();
    }
  });

  it('a young unreachable object that does not decode is kept and does not stop gc', async () => {
    const { store, driver, backing } = await memoryStore();
    try {
      const oldOrphan = await store.save('old orphan');
      age(backing, oldOrphan, 2 * HOUR);
      const bad = new TextEncoder().encode('{"not":"a commit"}\n');
      const badHash = hashObject('commit', bad);
      await driver.storeObject(badHash, 'commit', bad);
      const report = await store.gc();
      expect([report.deleted, report.kept]).toEqual([1, 1]);
      expect(await store.has(badHash)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('without objectTimes a grace period is UNSUPPORTED but graceMs 0 works', async () => {
    class Timeless extends MemoryDriver {
      override readonly capabilities = { ...new MemoryDriver().capabilities, objectTimes: false };
    }
    const store = await openStore(new Timeless());
    try {
      await store.save('orphan');
      await expect(store.gc()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      expect((await store.gc({ graceMs: 0 })).deleted).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('fsck', () => {
  async function commitObject(driver: Driver, meta: Record<string, string | number>): Promise<string> {
    const body = encodeCommit(meta);
    const hash = hashObject('commit', body);
    await driver.storeObject(hash, 'commit', body);
    return hash;
  }

  it('finds a head that names a commit of another file', async () => {
    const { store, driver } = await memoryStore();
    try {
      const a = await store.create('a.pl', 'one');
      await driver.updateHead('b.pl', null, a.commit);
      const report = await store.fsck();
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual([{ code: 'BAD_HEAD', hash: a.commit, name: 'b.pl', message: 'head of "b.pl" is a commit of "a.pl"' }]);
    } finally {
      await store.close();
    }
  });

  it('finds missing data and previous, heads at missing objects or blobs, and undecodable commits', async () => {
    const { store, driver } = await memoryStore();
    try {
      const a = await store.create('a.pl', 'lost data');
      await driver.deleteObject(a.data);
      const orphanPrev = await commitObject(driver, { name: 'b.pl', data: await store.save('b'), time: 1, previous: 'e'.repeat(40) });
      await driver.updateHead('b.pl', null, orphanPrev);
      await driver.updateHead('c.pl', null, 'f'.repeat(40));
      await driver.updateHead('d.pl', null, await store.save('just a blob'));
      const bad = new TextEncoder().encode('{"not":"a commit"}\n');
      await driver.storeObject(hashObject('commit', bad), 'commit', bad);
      const report = await store.fsck();
      const found = report.errors.map((e) => `${e.code} ${e.name ?? ''}`).sort();
      expect(found).toEqual(['BAD_COMMIT ', 'BAD_HEAD c.pl', 'BAD_HEAD d.pl', 'MISSING_OBJECT a.pl', 'MISSING_OBJECT b.pl']);
      expect(report.errors.find((e) => e.name === 'a.pl')!.message).toContain(a.data);
      expect(report.errors.find((e) => e.name === 'c.pl')!.message).toContain('is missing');
      expect(report.errors.find((e) => e.name === 'd.pl')!.message).toContain('not a readable commit');
    } finally {
      await store.close();
    }
  });

  it('an unreachable commit lacking its data or previous (a write that failed between its objects) is a warning, not an error; a reachable one is an error', async () => {
    const { store, driver } = await memoryStore();
    try {
      const a = await store.create('a.pl', 'one');
      // What a failed update leaves: its commit stored, its blob not, no head moved.
      const failedUpdate = await commitObject(driver, { name: 'a.pl', data: hashObject('blob', new TextEncoder().encode('never stored')), time: 2, previous: a.commit });
      const lostPrevious = await commitObject(driver, { name: 'z.pl', data: await store.save('z'), time: 3, previous: 'e'.repeat(40) });
      let report = await store.fsck();
      expect(report.errors).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.warnings.map((w) => [w.code, w.hash]).sort()).toEqual([['MISSING_OBJECT', failedUpdate], ['MISSING_OBJECT', lostPrevious]].sort());
      // Once a head reaches it, the same commit is damage.
      await driver.updateHead('a.pl', a.commit, failedUpdate);
      report = await store.fsck();
      expect(report.ok).toBe(false);
      expect(report.errors.map((e) => [e.code, e.hash])).toEqual([['MISSING_OBJECT', failedUpdate]]);
      // And a reachable commit deeper in a history, not only the head.
      const next = await commitObject(driver, { name: 'a.pl', data: await store.save('three'), time: 4, previous: failedUpdate });
      await driver.updateHead('a.pl', failedUpdate, next);
      expect((await store.fsck()).errors.map((e) => [e.code, e.hash])).toEqual([['MISSING_OBJECT', failedUpdate]]);
    } finally {
      await store.close();
    }
  });

  it('reports crafted commits (previous or data not hashes) as BAD_COMMIT; gc refuses with CORRUPT_OBJECT and deletes nothing', async () => {
    const { store, driver, backing } = await memoryStore();
    try {
      const a = await store.create('a.pl', 'one');
      const b = await store.create('b.pl', 'two');
      // "previous" naming another file: resolving it must never splice b.pl's history into c.pl.
      const splice = await commitObject(driver, { name: 'c.pl', data: await store.save('three'), time: 2, previous: 'b.pl' });
      const noHash = await commitObject(driver, { name: 'd.pl', data: '../../etc/passwd', time: 2 });
      await driver.updateHead('c.pl', null, splice);
      await driver.updateHead('d.pl', null, noHash);
      const orphan = await store.save('orphan');
      for (const hash of backing.objects.keys()) age(backing, hash, 2 * HOUR);
      const report = await store.fsck();
      const found = report.errors.map((e) => `${e.code} ${e.name ?? (e.hash === splice ? 'splice' : 'noHash')}`).sort();
      expect(found).toEqual(['BAD_COMMIT noHash', 'BAD_COMMIT splice', 'BAD_HEAD c.pl', 'BAD_HEAD d.pl']);
      await expect(store.gc()).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
      expect(await store.has(orphan)).toBe(true);
      expect((await store.get(a.commit)).text).toBe('one');
      expect((await store.get(b.commit)).text).toBe('two');
    } finally {
      await store.close();
    }
  });

  it('re-verifies every object: a damaged one is reported CORRUPT_OBJECT and counted', async () => {
    const { store, backing } = await memoryStore();
    try {
      const a = await store.create('a.pl', 'fine');
      backing.objects.get(a.data)!.data = new TextEncoder().encode('rotted');
      const report = await store.fsck();
      expect(report.counts.corrupt).toBe(1);
      expect(report.errors).toHaveLength(1);
      expect(report.errors[0]).toMatchObject({ code: 'CORRUPT_OBJECT', hash: a.data });
      await expect(store.get('a.pl')).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    } finally {
      await store.close();
    }
  });

  it('reports progress and includes the driver\'s own checks', async () => {
    class Picky extends MemoryDriver {
      async fsck() {
        return [{ code: 'PACK_MISMATCH', message: 'driver-specific' }];
      }
    }
    const store = await openStore(new Picky());
    try {
      for (let i = 0; i < 600; i++) await store.save(`object ${i}`);
      const progress: number[] = [];
      const report = await store.fsck({ onProgress: (p) => progress.push(p.done) });
      expect(report.errors).toEqual([{ code: 'PACK_MISMATCH', message: 'driver-specific' }]);
      expect(progress.at(-1)).toBe(600);
      expect(report.counts.blobs).toBe(600);
    } finally {
      await store.close();
    }
  });
});
