import { describe, expect, it } from 'vitest';
import {
  MemoryDriver, ObjectUnavailableError, encodeCommit, hashObject, openStore, runFsck, type FsckIssue, type GitObject, type Progress, type ProgressListener,
} from '@gitty/core';

const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * A memory driver whose listing can hide objects (another process's packs) or name objects
 * that are gone by the time they are loaded, and whose loads can fail on demand.
 */
class Tricky extends MemoryDriver {
  readonly hidden = new Set<string>();
  readonly ghosts: string[] = [];
  readonly failures = new Map<string, unknown>();
  readonly notThere = new Set<string>();

  override async *objects(): AsyncIterable<string> {
    for await (const hash of super.objects()) if (!this.hidden.has(hash)) yield hash;
    yield* this.ghosts;
  }

  override async loadObject(hash: string): Promise<GitObject | undefined> {
    if (this.failures.has(hash)) throw this.failures.get(hash);
    return super.loadObject(hash);
  }

  override async hasObject(hash: string): Promise<boolean> {
    return !this.notThere.has(hash) && (await super.hasObject(hash));
  }

  async put(type: string, data: Uint8Array): Promise<string> {
    const hash = hashObject(type, data);
    await this.storeObject(hash, type, data);
    return hash;
  }

  async commit(meta: Record<string, string | number>): Promise<string> {
    return this.put('commit', encodeCommit(meta));
  }
}

describe('runFsck', () => {
  it('counts every kind of object and each head; an object gone before it is loaded counts but is not present', async () => {
    const driver = new Tricky();
    const data = await driver.put('blob', bytes('one'));
    await driver.put('note', bytes('a note'));
    await driver.put('tree', bytes('a tree'));
    const c1 = await driver.commit({ name: 'a.pl', data, time: 1 });
    const c2 = await driver.commit({ name: 'a.pl', data, time: 2, previous: c1 });
    await driver.updateHead('a.pl', null, c2);
    // Listed, then gone (a gc in another process); a head names it.
    const gone = hashObject('blob', bytes('gone'));
    driver.ghosts.push(gone);
    await driver.updateHead('b.pl', null, gone);
    const report = await runFsck(driver);
    expect(report.counts).toEqual({ objects: 6, commits: 2, blobs: 1, other: 2, heads: 2, corrupt: 0 });
    expect(report.errors).toEqual([{ code: 'BAD_HEAD', hash: gone, name: 'b.pl', message: `head of "b.pl" (${gone}) is missing` }]);
    expect(report.warnings).toEqual([]);
    expect(report.ok).toBe(false);
  });

  it('a load that fails: the gitty code or READ_ERROR, the message (or the thrown text), counted corrupt and still present', async () => {
    const driver = new Tricky();
    const data = await driver.put('blob', bytes('data'));
    const notes = [await driver.put('note', bytes('n1')), await driver.put('note', bytes('n2'))];
    const c = await driver.commit({ name: 'a.pl', data, time: 1 });
    await driver.updateHead('a.pl', null, c);
    driver.failures.set(data, new Error('disk read failed'));
    driver.failures.set(notes[0]!, 'a bare string');
    // A head at an object that cannot be read is "not a readable commit", not "missing"; a
    // `code` alone (no gitty brand) does not make a gitty error.
    await driver.updateHead('b.pl', null, notes[1]!);
    driver.failures.set(notes[1]!, Object.assign(new Error('gitty says no'), { code: 'OBJECT_UNAVAILABLE' }));
    const report = await runFsck(driver);
    expect(report.counts).toEqual({ objects: 4, commits: 1, blobs: 0, other: 0, heads: 2, corrupt: 3 });
    expect(report.errors).toEqual([
      { code: 'READ_ERROR', hash: data, message: 'disk read failed' },
      { code: 'READ_ERROR', hash: notes[0], message: 'a bare string' },
      { code: 'READ_ERROR', hash: notes[1], message: 'gitty says no' },
      { code: 'BAD_HEAD', hash: notes[1], name: 'b.pl', message: `head of "b.pl" (${notes[1]}) is not a readable commit` },
    ]);
  });

  it('a load that fails with a gitty error keeps its code', async () => {
    const store = await openStore(new Tricky());
    try {
      const driver = store.driver as Tricky;
      const a = await store.create('a.pl', 'one');
      driver.failures.set(a.data, new ObjectUnavailableError(a.data, 'the pack is being rewritten'));
      const report = await runFsck(driver);
      expect(report.errors).toEqual([{ code: 'OBJECT_UNAVAILABLE', hash: a.data, message: `Object ${a.data} is unavailable: the pack is being rewritten` }]);
      expect(report.counts.corrupt).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('an undecodable commit: BAD_COMMIT with the decoder\'s message', async () => {
    const driver = new Tricky();
    const bad = await driver.put('commit', bytes('{"name":"a.pl"}'));
    const report = await runFsck(driver);
    expect(report.errors).toEqual([{ code: 'BAD_COMMIT', hash: bad, message: `Corrupt object ${bad} in commit: commit lacks a numeric time` }]);
    expect(report.counts).toEqual({ objects: 1, commits: 1, blobs: 0, other: 0, heads: 0, corrupt: 0 });
  });

  it('missing data and previous: exact messages; an object the listing missed but hasObject finds is there', async () => {
    const driver = new Tricky();
    const lostData = hashObject('blob', bytes('never stored'));
    const lostPrev = 'e'.repeat(40);
    const data = await driver.put('blob', bytes('kept'));
    const c = await driver.commit({ name: 'a.pl', data: lostData, time: 1, previous: lostPrev });
    await driver.updateHead('a.pl', null, c);
    // Hidden from the listing (another process's pack), found by hasObject.
    const hiddenData = await driver.put('blob', bytes('hidden'));
    const hiddenPrev = await driver.commit({ name: 'h.pl', data, time: 1 });
    driver.hidden.add(hiddenData);
    driver.hidden.add(hiddenPrev);
    const h = await driver.commit({ name: 'h.pl', data: hiddenData, time: 2, previous: hiddenPrev });
    await driver.updateHead('h.pl', null, h);
    const report = await runFsck(driver);
    expect(report.errors).toEqual([
      { code: 'MISSING_OBJECT', hash: c, name: 'a.pl', message: `commit ${c} of "a.pl" lacks its data ${lostData}` },
      { code: 'MISSING_OBJECT', hash: c, name: 'a.pl', message: `commit ${c} of "a.pl" lacks its previous ${lostPrev}` },
    ]);
    expect(report.warnings).toEqual([]);
    // Listed objects are present without asking hasObject.
    const k = await driver.commit({ name: 'k.pl', data, time: 3 });
    const k2 = await driver.commit({ name: 'k.pl', data, time: 4, previous: k });
    await driver.updateHead('k.pl', null, k2);
    driver.notThere.add(data);
    driver.notThere.add(k);
    expect((await runFsck(driver)).errors).toEqual(report.errors);
  });

  it('a previous of another file is BAD_COMMIT, reachable or not; a previous that is not a commit is no such error', async () => {
    const driver = new Tricky();
    const data = await driver.put('blob', bytes('d'));
    const b = await driver.commit({ name: 'b.pl', data, time: 1 });
    await driver.updateHead('b.pl', null, b);
    const spliced = await driver.commit({ name: 'c.pl', data, time: 2, previous: b });
    const ontoBlob = await driver.commit({ name: 'd.pl', data, time: 3, previous: data });
    await driver.updateHead('d.pl', null, ontoBlob);
    const report = await runFsck(driver);
    expect(report.errors).toEqual([{ code: 'BAD_COMMIT', hash: spliced, name: 'c.pl', message: `previous ${b} belongs to "b.pl"` }]);
    expect(report.warnings).toEqual([]);
    await driver.updateHead('c.pl', null, spliced);
    expect((await runFsck(driver)).errors).toEqual([{ code: 'BAD_COMMIT', hash: spliced, name: 'c.pl', message: `previous ${b} belongs to "b.pl"` }]);
  });

  it('an unreachable commit\'s gaps are warnings with the same messages', async () => {
    const driver = new Tricky();
    const lostData = hashObject('blob', bytes('never stored'));
    const lostPrev = 'e'.repeat(40);
    const c = await driver.commit({ name: 'a.pl', data: lostData, time: 1, previous: lostPrev });
    const report = await runFsck(driver);
    expect(report.ok).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([
      { code: 'MISSING_OBJECT', hash: c, name: 'a.pl', message: `commit ${c} of "a.pl" lacks its data ${lostData}` },
      { code: 'MISSING_OBJECT', hash: c, name: 'a.pl', message: `commit ${c} of "a.pl" lacks its previous ${lostPrev}` },
    ]);
  });

  it('every head of a shared history is checked and the history is reached from each', async () => {
    const driver = new Tricky();
    const data = await driver.put('blob', bytes('d'));
    const c1 = await driver.commit({ name: 'a.pl', data, time: 1, previous: hashObject('blob', bytes('lost')) });
    const c2 = await driver.commit({ name: 'a.pl', data, time: 2, previous: c1 });
    await driver.updateHead('a.pl', null, c2);
    await driver.updateHead('b.pl', null, c1);
    const report = await runFsck(driver);
    expect(report.errors.map((e) => [e.code, e.name, e.hash])).toEqual([['MISSING_OBJECT', 'a.pl', c1], ['BAD_HEAD', 'b.pl', c1]]);
    expect(report.errors[1]!.message).toBe('head of "b.pl" is a commit of "a.pl"');
  });

  it('progress every 1000 objects and once at the end with the total; the driver\'s own fsck gets the listener', async () => {
    const listened: Array<ProgressListener | undefined> = [];
    class Checking extends Tricky {
      async fsck(options: { onProgress?: ProgressListener }): Promise<FsckIssue[]> {
        listened.push(options.onProgress);
        return [{ code: 'OWN', message: 'own check' }];
      }
    }
    const driver = new Checking();
    for (let i = 0; i < 2000; i++) await driver.put('blob', bytes(`object ${i}`));
    const progress: Progress[] = [];
    const onProgress = (p: Progress) => progress.push(p);
    const report = await runFsck(driver, onProgress);
    expect(progress).toEqual([
      { phase: 'objects', done: 1000 },
      { phase: 'objects', done: 2000 },
      { phase: 'objects', done: 2000, total: 2000 },
    ]);
    expect(listened).toEqual([onProgress]);
    expect(report).toEqual({ ok: false, errors: [{ code: 'OWN', message: 'own check' }], warnings: [], counts: { objects: 2000, commits: 0, blobs: 2000, other: 0, heads: 0, corrupt: 0 } });
    // Without a listener, nothing breaks at a multiple of 1000.
    expect((await runFsck(new Tricky())).ok).toBe(true);
    const plain = new Tricky();
    for (let i = 0; i < 1000; i++) await plain.put('blob', bytes(`object ${i}`));
    expect((await runFsck(plain)).counts.objects).toBe(1000);
    const few: Progress[] = [];
    await runFsck(plain, (p) => few.push(p));
    expect(few).toEqual([{ phase: 'objects', done: 1000 }, { phase: 'objects', done: 1000, total: 1000 }]);
  });
});
