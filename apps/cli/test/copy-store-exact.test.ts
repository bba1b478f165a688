import { describe, expect, it } from 'vitest';
import { MemoryDriver, NotAtHeadError, openStore, type Progress, type Store } from '@gitty/core';
import { copiesInBatches, planFile } from '../src/copy-batched.js';
import { copyStore, type CopyReport } from '../src/copy-store.js';

// copyStore one object at a time (memory targets): exact reports, hashes kept, each refusal.
async function history(store: Store, name: string, versions: string[], time = 1): Promise<string[]> {
  const commits: string[] = [];
  for (const [i, data] of versions.entries()) {
    const previous = commits.at(-1);
    const c = previous === undefined ? await store.create(name, data, { time: time + i }) : await store.update(name, data, { previous, time: time + i });
    commits.push(c.commit);
  }
  return commits;
}

/** A memory driver with some capabilities or methods taken away or replaced. */
function memory(changes: Record<string, unknown> = {}, capabilities: Record<string, unknown> = {}): MemoryDriver {
  const driver = new MemoryDriver();
  return Object.assign(driver, { capabilities: { ...driver.capabilities, ...capabilities }, ...changes });
}

const empty: CopyReport = { files: 0, updated: 0, upToDate: 0, objects: 0, raw: true, diverged: [], interrupted: false };

describe('planFile', () => {
  it('lists every commit oldest first when the target has nothing, and nothing when it is at the head', async () => {
    const [from, to] = [await openStore(new MemoryDriver()), await openStore(new MemoryDriver())];
    const [c1, c2, c3] = await history(from, 'f', ['1', '2', '3']);
    const data = await Promise.all([c1!, c2!, c3!].map(async (c) => (await from.commit(c)).data));
    const all = [{ commit: c1, data: data[0] }, { commit: c2, data: data[1] }, { commit: c3, data: data[2] }];
    expect(await planFile(from, to, 'f', c3!)).toEqual({ kind: 'copy', targetHead: null, missing: all });
    expect(await planFile(from, to, 'f', c3!, false)).toEqual({ kind: 'copy', targetHead: null, missing: all });
    await to.driver.storeObject(c2!, 'commit', (await from.load(c2!)).data);
    // Trusted: a commit the target has implies its ancestors; not trusted, all are listed.
    expect(await planFile(from, to, 'f', c3!)).toEqual({ kind: 'copy', targetHead: null, missing: [all[2]] });
    expect(await planFile(from, to, 'f', c3!, false)).toEqual({ kind: 'copy', targetHead: null, missing: all });
    await to.driver.updateHead('f', null, c1!);
    expect(await planFile(from, to, 'f', c3!)).toEqual({ kind: 'copy', targetHead: c1, missing: [all[2]] });
    expect(await planFile(from, to, 'f', c3!, false)).toEqual({ kind: 'copy', targetHead: c1, missing: [all[1], all[2]] });
    await to.driver.updateHead('f', c1!, c3!);
    expect(await planFile(from, to, 'f', c3!)).toEqual({ kind: 'upToDate' });
    expect(await planFile(from, to, 'f', c2!)).toEqual({ kind: 'diverged', target: c3 });
  });

  it('a target head on another history is diverged, whatever the target holds', async () => {
    const [from, to] = [await openStore(new MemoryDriver()), await openStore(new MemoryDriver())];
    const [s1, s2] = await history(from, 'f', ['1', '2']);
    const [t1] = await history(to, 'f', ['other']);
    expect(await planFile(from, to, 'f', s2!)).toEqual({ kind: 'diverged', target: t1 });
    await to.driver.storeObject(s1!, 'commit', (await from.load(s1!)).data);
    expect(await planFile(from, to, 'f', s2!)).toEqual({ kind: 'diverged', target: t1 });
    expect(await planFile(from, to, 'f', s2!, false)).toEqual({ kind: 'diverged', target: t1 });
  });

  it('copiesInBatches needs the capability and the method', async () => {
    expect(copiesInBatches(await openStore(new MemoryDriver()))).toBe(false);
    expect(copiesInBatches(await openStore(memory({ openObjectBatch: () => undefined }, { objectBatches: true })))).toBe(true);
    expect(copiesInBatches(await openStore(memory({ openObjectBatch: 'no' }, { objectBatches: true })))).toBe(false);
    expect(copiesInBatches(await openStore(memory({ openObjectBatch: () => undefined }, { objectBatches: 'yes' })))).toBe(false);
  });
});

describe('copyStore, one object at a time', () => {
  it('an empty source copies nothing', async () => {
    expect(await copyStore(await openStore(new MemoryDriver()), await openStore(new MemoryDriver()))).toEqual(empty);
  });

  it('copies histories with hashes kept, skipping blobs the target has, reporting progress per file', async () => {
    const [from, to] = [await openStore(new MemoryDriver()), await openStore(new MemoryDriver())];
    const a = await history(from, 'a', ['x', 'y']);
    const b = await history(from, 'b', ['x']);
    await history(to, 'other', ['y']);
    const progress: Progress[] = [];
    // The blob "x" is shared by a and b; "y" is already in the target.
    expect(await copyStore(from, to, { concurrency: 1, onProgress: (p) => progress.push(p) })).toEqual({ ...empty, files: 2, updated: 2, objects: 4 });
    expect(progress).toEqual([{ phase: 'files', done: 1, total: 2 }, { phase: 'files', done: 2, total: 2 }]);
    expect([await to.head('a'), await to.head('b')]).toEqual([a[1], b[0]]);
    expect(await copyStore(from, to)).toEqual({ ...empty, files: 2, upToDate: 2 });
  });

  it('copies through load and save when either side lacks raw objects, keeping hashes', async () => {
    const variants: [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
      [{}, { rawObjects: false }, {}, {}],
      [{}, {}, {}, { rawObjects: false }],
      [{ loadRaw: undefined }, {}, {}, {}],
      [{}, {}, { storeRaw: undefined }, {}],
    ];
    for (const [fromChanges, fromCaps, toChanges, toCaps] of variants) {
      const [from, to] = [await openStore(memory({}, fromCaps)), await openStore(memory({}, toCaps))];
      // Taken away after opening: the core's shape check refuses a raw driver without them.
      Object.assign(from.driver, fromChanges);
      Object.assign(to.driver, toChanges);
      const commits = await history(from, 'f', ['1', '2']);
      expect(await copyStore(from, to)).toEqual({ ...empty, files: 1, updated: 1, objects: 4, raw: false });
      expect(await to.head('f')).toBe(commits[1]);
      expect((await to.get(commits[0]!)).text).toBe('1');
    }
  });

  it('a missing source object is NOT_FOUND, raw or not, and the head is not moved', async () => {
    for (const caps of [{}, { rawObjects: false }]) {
      const [from, to] = [await openStore(memory({}, caps)), await openStore(new MemoryDriver())];
      const [c1] = await history(from, 'f', ['1']);
      const blob = (await from.commit(c1!)).data;
      await from.driver.deleteObject(blob);
      await expect(copyStore(from, to)).rejects.toMatchObject({ code: 'NOT_FOUND', message: `No object "${blob}"` });
      expect(await to.head('f')).toBeUndefined();
    }
  });

  it('an object that re-hashes differently is CORRUPT_OBJECT', async () => {
    const [from, to] = [await openStore(memory({}, { rawObjects: false })), await openStore(new MemoryDriver())];
    const [c1] = await history(from, 'f', ['1']);
    const blob = (await from.commit(c1!)).data;
    const load = from.load.bind(from);
    from.load = async (hash) => (hash === blob ? { type: 'blob', data: new TextEncoder().encode('2') } : load(hash));
    const other = await to.save(new TextEncoder().encode('2'), 'blob');
    await to.driver.deleteObject(other);
    await expect(copyStore(from, to)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: `Corrupt object ${blob} in copy: re-hashed to ${other}` });
  });

  it('reports diverged files and heads moved meanwhile, and rethrows other head failures', async () => {
    const [from, to] = [await openStore(new MemoryDriver()), await openStore(new MemoryDriver())];
    const [s] = await history(from, 'a', ['1']);
    const [t] = await history(to, 'a', ['2']);
    const [m] = await history(from, 'm', ['3']);
    const updateHead = to.driver.updateHead.bind(to.driver);
    to.driver.updateHead = async (name, old, next) => {
      if (name === 'm') throw new NotAtHeadError('m', 'f'.repeat(40), old);
      return updateHead(name, old, next);
    };
    expect(await copyStore(from, to)).toEqual({ ...empty, files: 2, objects: 2, diverged: [{ name: 'a', source: s, target: t }, { name: 'm', source: m, target: 'f'.repeat(40) }] });
    to.driver.updateHead = async (name) => {
      if (name === 'm') throw new NotAtHeadError('m', null, null);
      throw new Error('disk gone');
    };
    expect(await copyStore(from, to, { concurrency: 1 })).toMatchObject({ diverged: [{ name: 'a' }, { name: 'm', source: m, target: '' }] });
    await history(from, 'z', ['4']);
    await expect(copyStore(from, to)).rejects.toThrow('disk gone');
  });

  it('copies every file with any concurrency, at least one worker', async () => {
    for (const concurrency of [0, -3, 1, 2, 9]) {
      const [from, to] = [await openStore(new MemoryDriver()), await openStore(new MemoryDriver())];
      for (let i = 0; i < 5; i++) await history(from, `f${i}`, [`v${i}`]);
      expect(await copyStore(from, to, { concurrency })).toEqual({ ...empty, files: 5, updated: 5, objects: 10 });
    }
  });

  it('an aborted signal stops before the next file and before a head moves; a finished copy is not interrupted', async () => {
    const [from, to] = [await openStore(new MemoryDriver()), await openStore(new MemoryDriver())];
    await history(from, 'a', ['1', '2']);
    await history(from, 'b', ['3']);
    const before = new AbortController();
    before.abort();
    expect(await copyStore(from, to, { signal: before.signal })).toEqual({ ...empty, files: 2, interrupted: true });
    // Aborted while copying a's first object: nothing more is written and no head moves.
    const during = new AbortController();
    const storeRaw = to.driver.storeRaw!.bind(to.driver);
    to.driver.storeRaw = async (hash, bytes) => {
      during.abort();
      return storeRaw(hash, bytes);
    };
    expect(await copyStore(from, to, { signal: during.signal, concurrency: 1 })).toEqual({ ...empty, files: 2, objects: 2, interrupted: true });
    expect(await to.head('a')).toBeUndefined();
    // Aborted as the last object of the last file is written: that head is not moved either.
    const late = new AbortController();
    const [from2, to2] = [await openStore(new MemoryDriver()), await openStore(new MemoryDriver())];
    await history(from2, 'a', ['1']);
    const raw2 = to2.driver.storeRaw!.bind(to2.driver);
    let writes = 0;
    to2.driver.storeRaw = async (hash, bytes) => {
      if (++writes === 2) late.abort();
      return raw2(hash, bytes);
    };
    expect(await copyStore(from2, to2, { signal: late.signal })).toEqual({ ...empty, files: 1, objects: 2, interrupted: false });
    expect(await to2.head('a')).toBeUndefined();
    const done = new AbortController();
    expect(await copyStore(from, to, { signal: done.signal })).toMatchObject({ updated: 2, interrupted: false });
    done.abort();
    expect(await copyStore(from, to, { signal: done.signal })).toEqual({ ...empty, files: 2, interrupted: true });
  });
});
