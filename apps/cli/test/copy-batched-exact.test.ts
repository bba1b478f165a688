import { describe, expect, it } from 'vitest';
import { MemoryDriver, NotAtHeadError, openStore, type HeadChange, type Progress, type Store } from '@gitty/core';
import { copyStore, type CopyReport } from '../src/copy-store.js';

// copyStore into a target with object batches: a memory driver whose batches are recorded.
interface BatchLog {
  opened: number;
  added: { hash: string; type: string }[][];
  committed: number;
  aborted: number;
  headCalls: HeadChange[][];
}

async function batchTarget(options: { failAdd?: boolean; headBatches?: boolean } = {}): Promise<{ store: Store; log: BatchLog }> {
  const driver = new MemoryDriver();
  const log: BatchLog = { opened: 0, added: [], committed: 0, aborted: 0, headCalls: [] };
  const extra: Record<string, unknown> = {
    openObjectBatch: async () => {
      log.opened++;
      const added: { hash: string; type: string }[] = [];
      log.added.push(added);
      const held: [string, string, Uint8Array][] = [];
      return {
        add: async (hash: string, type: string, data: Uint8Array) => {
          if (options.failAdd) throw new Error('batch full');
          added.push({ hash, type });
          held.push([hash, type, data]);
        },
        commit: async () => {
          log.committed++;
          for (const [hash, type, data] of held) await driver.storeObject(hash, type, data);
          return { objects: held.length };
        },
        abort: async () => void log.aborted++,
      };
    },
  };
  if (options.headBatches) {
    extra.updateHeads = async (changes: HeadChange[]) => {
      log.headCalls.push(changes);
      const results = [];
      for (const c of changes) {
        await driver.updateHead(c.name, c.old, c.new);
        results.push({ name: c.name, applied: true, head: c.new });
      }
      return results;
    };
  }
  Object.assign(driver, { capabilities: { ...driver.capabilities, objectBatches: true, headBatches: options.headBatches === true } }, extra);
  return { store: await openStore(driver), log };
}

async function history(store: Store, name: string, versions: string[]): Promise<string[]> {
  const commits: string[] = [];
  for (const [i, data] of versions.entries()) {
    const previous = commits.at(-1);
    commits.push((previous === undefined ? await store.create(name, data, { time: i + 1 }) : await store.update(name, data, { previous, time: i + 1 })).commit);
  }
  return commits;
}

const base: CopyReport = { files: 0, updated: 0, upToDate: 0, objects: 0, raw: false, diverged: [], interrupted: false };

describe('copyStore in batches', () => {
  it('adds each missing object once, blob before commit, oldest first, commits the batch, then moves the heads', async () => {
    const from = await openStore(new MemoryDriver());
    const { store: to, log } = await batchTarget({ headBatches: true });
    const a = await history(from, 'a', ['1', '2']);
    const b = await history(from, 'b', ['1']);
    const blobs = await Promise.all([a[0]!, a[1]!, b[0]!].map(async (c) => (await from.commit(c)).data));
    const progress: Progress[] = [];
    // raw is false even though both sides have raw objects: batches re-store loaded objects.
    expect(await copyStore(from, to, { onProgress: (p) => progress.push(p) })).toEqual({ ...base, files: 2, updated: 2, objects: 6 });
    expect(progress).toEqual([{ phase: 'files', done: 1, total: 2 }, { phase: 'files', done: 2, total: 2 }]);
    // b's blob is a's first blob, but the batch is not committed when b is planned: added again.
    expect(blobs[2]).toBe(blobs[0]);
    expect([log.opened, log.committed, log.aborted]).toEqual([1, 1, 0]);
    expect(log.added).toEqual([[
      { hash: blobs[0], type: 'blob' }, { hash: a[0], type: 'commit' }, { hash: blobs[1], type: 'blob' }, { hash: a[1], type: 'commit' },
      { hash: blobs[2], type: 'blob' }, { hash: b[0], type: 'commit' },
    ]]);
    expect(log.headCalls).toEqual([[{ name: 'a', old: null, new: a[1] }, { name: 'b', old: null, new: b[0] }]]);
    expect([await to.head('a'), await to.head('b')]).toEqual([a[1], b[0]]);
    // A rerun: every file up to date, an empty batch, no head calls.
    expect(await copyStore(from, to)).toEqual({ ...base, files: 2, upToDate: 2 });
    expect([log.opened, log.committed, log.headCalls.length]).toEqual([2, 2, 1]);
  });

  it('skips objects the target already has, but lists the whole history down to the target head', async () => {
    const from = await openStore(new MemoryDriver());
    const { store: to, log } = await batchTarget();
    const [c1, c2, c3] = await history(from, 'f', ['1', '2', '3']);
    const blob2 = (await from.commit(c2!)).data;
    for (const hash of [c1!, c2!, blob2]) {
      const object = await from.load(hash);
      await to.driver.storeObject(hash, object.type, object.data);
    }
    await to.driver.updateHead('f', null, c1!);
    const blob3 = (await from.commit(c3!)).data;
    expect(await copyStore(from, to)).toEqual({ ...base, files: 1, updated: 1, objects: 2 });
    expect(log.added).toEqual([[{ hash: blob3, type: 'blob' }, { hash: c3, type: 'commit' }]]);
    expect(await to.head('f')).toBe(c3);
  });

  it('opens a new batch every 500 files', async () => {
    const from = await openStore(new MemoryDriver());
    const { store: to, log } = await batchTarget();
    for (let i = 0; i < 501; i++) await from.create(`f${i}`, `${i}`, { time: 1 });
    expect(await copyStore(from, to)).toMatchObject({ files: 501, updated: 501, objects: 1002, interrupted: false });
    expect([log.opened, log.committed, log.added.map((a) => a.length)]).toEqual([2, 2, [1000, 2]]);
  });

  it('reports diverged files and heads moved meanwhile (by the head CAS), with the source and target heads', async () => {
    const from = await openStore(new MemoryDriver());
    const { store: to } = await batchTarget();
    const [s] = await history(from, 'a', ['1']);
    const [t] = await history(to, 'a', ['2']);
    const [m] = await history(from, 'm', ['3']);
    const [n] = await history(from, 'n', ['4']);
    const updateHead = to.driver.updateHead.bind(to.driver);
    to.driver.updateHead = async (name, old, next) => {
      if (name === 'm') throw new NotAtHeadError('m', 'e'.repeat(40), old);
      if (name === 'n') throw new NotAtHeadError('n', null, old);
      return updateHead(name, old, next);
    };
    expect(await copyStore(from, to)).toEqual({
      ...base, files: 3, objects: 4, diverged: [{ name: 'a', source: s, target: t }, { name: 'm', source: m, target: 'e'.repeat(40) }, { name: 'n', source: n, target: '' }],
    });
  });

  it('aborts the batch when an object cannot be added, moving no head', async () => {
    const from = await openStore(new MemoryDriver());
    const { store: to, log } = await batchTarget({ failAdd: true });
    await history(from, 'a', ['1']);
    await expect(copyStore(from, to)).rejects.toThrow('batch full');
    expect([log.opened, log.committed, log.aborted]).toEqual([1, 0, 1]);
    expect(await to.head('a')).toBeUndefined();
  });

  it('a signal stops at the next file: the files done so far are committed and their heads moved', async () => {
    const from = await openStore(new MemoryDriver());
    const { store: to, log } = await batchTarget();
    const [a] = await history(from, 'a', ['1']);
    await history(from, 'b', ['2']);
    const stop = new AbortController();
    expect(await copyStore(from, to, { signal: stop.signal, onProgress: (p) => p.done === 1 && stop.abort() })).toEqual({ ...base, files: 2, updated: 1, objects: 2, interrupted: true });
    expect([log.opened, log.committed]).toEqual([1, 1]);
    expect([await to.head('a'), await to.head('b')]).toEqual([a, undefined]);
    // Aborted before it starts: no batch at all.
    expect(await copyStore(from, to, { signal: stop.signal })).toEqual({ ...base, files: 2, interrupted: true });
    expect(log.opened).toBe(1);
    // Aborted after the last file: the copy is complete, not interrupted.
    const late = new AbortController();
    expect(await copyStore(from, to, { signal: late.signal, onProgress: (p) => p.done === 2 && late.abort() })).toEqual({ ...base, files: 2, updated: 1, upToDate: 1, objects: 2, interrupted: false });
  });

  it('an empty source opens no batch', async () => {
    const { store: to, log } = await batchTarget();
    expect(await copyStore(await openStore(new MemoryDriver()), to)).toEqual(base);
    expect(log.opened).toBe(0);
  });
});
