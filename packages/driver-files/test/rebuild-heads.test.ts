import { describe, expect, it } from 'vitest';
import { MemoryDriver, encodeCommit, hashObject, openStore, type GitObject } from '@gitty/core';
import { rebuildHeads, type CommitSource } from '@gitty/driver-files';

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** A source listing exactly `order`, loading from `driver`. */
function listing(driver: MemoryDriver, order: readonly string[]): CommitSource {
  return {
    objects: async function* () {
      yield* order;
    },
    loadObject: (hash: string): Promise<GitObject | undefined> => driver.loadObject(hash),
  };
}

describe('rebuildHeads', () => {
  it('picks the chain tip, not the newest time, in every listing order', async () => {
    const driver = new MemoryDriver();
    const store = await openStore(driver);
    // update accepts an explicit time: the tip is older than the commit it follows.
    const a0 = await store.create('a.txt', 'a0', { time: 3000 });
    const a1 = await store.update('a.txt', 'a1', { previous: a0.commit, time: 2000 });
    const a2 = await store.update('a.txt', 'a2', { previous: a1.commit, time: 1000 });
    const b0 = await store.create('b.txt', 'b0', { time: 5 });
    const commits = [a0.commit, a1.commit, a2.commit, b0.commit];
    const blobs = [a0.data, a1.data, a2.data, b0.data];
    for (const order of permutations(commits)) {
      const heads = await rebuildHeads(listing(driver, [...blobs, ...order]));
      expect(heads, order.join(' ')).toEqual([{ name: 'a.txt', head: a2.commit }, { name: 'b.txt', head: b0.commit }]);
    }
    await store.close();
  });

  it('breaks a tie between two tips (an orphan of a crashed writer) by time, then by hash, in every order', async () => {
    const driver = new MemoryDriver();
    const store = await openStore(driver);
    const base = await store.create('a.txt', 'base', { time: 100 });
    const newer = await store.update('a.txt', 'newer tip', { previous: base.commit, time: 300 });
    // A second update from the same head that never became the head (a lost race's commit).
    await driver.updateHead('a.txt', newer.commit, base.commit);
    const older = await store.update('a.txt', 'older tip', { previous: base.commit, time: 200 });
    const sameA = await store.create('t.txt', 'x', { time: 7 });
    await store.delete('t.txt');
    const sameB = await store.create('t.txt', 'y', { time: 7 });
    const commits = [base.commit, newer.commit, older.commit, sameA.commit, sameB.commit];
    const blobs = [base.data, newer.data, older.data, sameA.data, sameB.data];
    const greater = sameA.commit > sameB.commit ? sameA.commit : sameB.commit;
    for (const order of permutations(commits)) {
      const heads = await rebuildHeads(listing(driver, [...blobs, ...order]));
      expect(heads, order.join(' ')).toEqual([{ name: 'a.txt', head: newer.commit }, { name: 't.txt', head: greater }]);
    }
    await store.close();
  });

  it('leaves out a commit whose data blob is not listed (a crash between the concurrent blob and commit writes), in every order', async () => {
    const driver = new MemoryDriver();
    const store = await openStore(driver);
    const c1 = await store.create('a.txt', 'one', { time: 100 });
    const c2 = await store.update('a.txt', 'two', { previous: c1.commit, time: 200 });
    // The orphan's commit reached storage, its blob never did; the head never moved to it.
    const orphanBlob = hashObject('blob', new TextEncoder().encode('three, never written'));
    const c3 = await store.save(encodeCommit({ name: 'a.txt', data: orphanBlob, previous: c2.commit, time: 300 }), 'commit');
    const commits = [c1.commit, c2.commit, c3];
    for (const order of permutations(commits)) {
      const heads = await rebuildHeads(listing(driver, [c1.data, c2.data, ...order]));
      expect(heads, order.join(' ')).toEqual([{ name: 'a.txt', head: c2.commit }]);
    }
    await store.close();
  });
});
