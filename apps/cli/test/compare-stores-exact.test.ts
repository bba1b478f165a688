import { describe, expect, it } from 'vitest';
import { openStore, type Progress, type Store } from '@gitty/core';
import { compareStores } from '../src/compare-stores.js';

// `gitty compare`: each kind of difference, reported exactly, on two memory stores.
async function twoStores(fill: (a: Store, b: Store) => Promise<void>, check: (a: Store, b: Store) => Promise<void>): Promise<void> {
  const a = await openStore({ driver: 'memory' });
  const b = await openStore({ driver: 'memory' });
  try {
    await fill(a, b);
    await check(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

async function both(a: Store, b: Store, name: string, versions: string[]): Promise<string[]> {
  const commits: string[] = [];
  for (const store of [a, b]) {
    let previous: string | undefined;
    for (const [i, data] of versions.entries()) {
      const commit = previous === undefined ? await store.create(name, data, { time: i + 1 }) : await store.update(name, data, { previous, time: i + 1 });
      previous = commit.commit;
      if (store === a) commits.push(commit.commit);
    }
  }
  return commits;
}

describe('compareStores', () => {
  it('finds identical stores identical, counting shared files and versions, with progress per name', async () => {
    await twoStores(
      async (a, b) => {
        await both(a, b, 'b.txt', ['1', '2', '3']);
        await both(a, b, 'a.txt', ['x']);
      },
      async (a, b) => {
        const progress: Progress[] = [];
        expect(await compareStores(a, b, { onProgress: (p) => progress.push(p) })).toEqual({
          identical: true, files: 2, versions: 4, onlyInA: [], onlyInB: [], differ: [], missing: [],
        });
        expect(progress).toEqual([{ phase: 'files', done: 1, total: 2 }, { phase: 'files', done: 2, total: 2 }]);
        expect(await compareStores(a, b, { quick: true })).toEqual({ identical: true, files: 2, versions: 0, onlyInA: [], onlyInB: [], differ: [], missing: [] });
        expect(await compareStores(a, b)).toMatchObject({ identical: true, versions: 4 });
      },
    );
  });

  it('lists names on one side only, sorted, and heads that differ', async () => {
    await twoStores(
      async (a, b) => {
        await a.create('only-a2', 'x', { time: 1 });
        await a.create('only-a1', 'x', { time: 1 });
        await b.create('only-b', 'y', { time: 1 });
        await a.create('both', 'a', { time: 1 });
        await b.create('both', 'b', { time: 1 });
      },
      async (a, b) => {
        const ha = (await a.head('both'))!;
        const hb = (await b.head('both'))!;
        expect(await compareStores(a, b)).toEqual({
          identical: false, files: 0, versions: 0, onlyInA: ['only-a1', 'only-a2'], onlyInB: ['only-b'], differ: [{ name: 'both', a: ha, b: hb }], missing: [],
        });
      },
    );
  });

  it('each kind of difference alone makes the stores differ', async () => {
    await twoStores(async (a) => void (await a.create('a', 'x', { time: 1 })), async (a, b) => {
      expect(await compareStores(a, b)).toMatchObject({ identical: false, onlyInA: ['a'] });
      expect(await compareStores(b, a)).toMatchObject({ identical: false, onlyInB: ['a'] });
    });
    await twoStores(
      async (a, b) => {
        await a.create('a', 'x', { time: 1 });
        await b.create('a', 'y', { time: 1 });
      },
      async (a, b) => expect(await compareStores(a, b, { quick: true })).toMatchObject({ identical: false, files: 0, differ: [{ name: 'a' }] }),
    );
  });

  it('finds the commits and blobs of a shared history that either side lacks (not with quick)', async () => {
    await twoStores(
      async (a, b) => void (await both(a, b, 'f', ['one', 'two'])),
      async (a, b) => {
        const [c1, c2] = [(await a.walk('f')[Symbol.asyncIterator]().next()).value!.previous!, (await a.head('f'))!];
        const first = await a.commit(c1);
        const second = await a.commit(c2);
        await b.driver.deleteObject(c1);
        await b.driver.deleteObject(second.data);
        await a.driver.deleteObject(first.data);
        expect(await compareStores(a, b)).toEqual({
          identical: false, files: 1, versions: 2, onlyInA: [], onlyInB: [], differ: [],
          missing: [
            { side: 'b', name: 'f', hash: second.data },
            { side: 'b', name: 'f', hash: c1 },
            { side: 'a', name: 'f', hash: first.data },
          ],
        });
        expect(await compareStores(a, b, { quick: true })).toEqual({ identical: true, files: 1, versions: 0, onlyInA: [], onlyInB: [], differ: [], missing: [] });
      },
    );
  });

  it('any mix of differences is a difference (counts never cancel out)', async () => {
    await twoStores(
      async (a, b) => {
        await a.create('only-a', 'x', { time: 1 });
        await b.create('only-b', 'y', { time: 1 });
      },
      async (a, b) => expect(await compareStores(a, b)).toMatchObject({ identical: false, onlyInA: ['only-a'], onlyInB: ['only-b'] }),
    );
    await twoStores(
      async (a, b) => {
        await a.create('only-a', 'x', { time: 1 });
        await a.create('both', 'a', { time: 1 });
        await b.create('both', 'b', { time: 1 });
      },
      async (a, b) => expect(await compareStores(a, b)).toMatchObject({ identical: false, onlyInA: ['only-a'], differ: [{ name: 'both' }] }),
    );
    await twoStores(
      async (a, b) => {
        await a.create('d', 'a', { time: 1 });
        await b.create('d', 'b', { time: 1 });
        await both(a, b, 'm', ['1']);
        await b.driver.deleteObject((await b.commit('m')).data);
      },
      async (a, b) => expect(await compareStores(a, b)).toMatchObject({ identical: false, differ: [{ name: 'd' }], missing: [{ side: 'b', name: 'm' }] }),
    );
  });
});
