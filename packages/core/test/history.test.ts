import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { historyWindow, openStore, type Commit } from '@gitty/core';

function chain(length: number): Commit[] {
  return Array.from({ length }, (_, i) => ({ commit: i.toString(16).padStart(40, '0'), name: 'a.pl', data: 'd', time: length - i }));
}

async function* walk(commits: Commit[], consumed: { n: number }): AsyncIterable<Commit> {
  for (const c of commits) {
    consumed.n++;
    yield c;
  }
}

describe('history windowing (SWISH gitty_history)', () => {
  it('without includes: the newest depth commits', async () => {
    const commits = chain(12);
    const consumed = { n: 0 };
    const w = await historyWindow(walk(commits, consumed), { depth: 4 });
    expect(w).toEqual({ history: commits.slice(0, 4), skipped: 0 });
    expect(consumed.n).toBe(4); // the walk is consumed only as far as needed
    expect((await historyWindow(walk(commits, { n: 0 }))).history).toHaveLength(5);
    expect((await historyWindow(walk(commits, { n: 0 }), { depth: 0 })).history).toHaveLength(1);
  });

  // SWISH's gitty_history/4 with includes, spelled out on a whole chain (newest first):
  // `before` = commits above the included one, a run of max(depth - before, ceil(depth/2)) from
  // it, preceded by as many of the newest as fill the depth; the rest between is skipped.
  function swishWindow(commits: Commit[], depth: number, at: number): { history: Commit[]; skipped: number } {
    const runLength = Math.max(depth - at, Math.ceil(depth / 2));
    const run = commits.slice(at, at + runLength);
    const newest = commits.slice(0, Math.min(at, depth - run.length));
    return { history: [...newest, ...run], skipped: at - newest.length };
  }

  it('with includes: the newest commits, then a run from the included one (SWISH\'s rule)', () => {
    return fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 12 }), fc.nat(), async (length, depth, pick) => {
        const commits = chain(length);
        const at = pick % length;
        const consumed = { n: 0 };
        const w = await historyWindow(walk(commits, consumed), { depth, includes: commits[at]!.commit });
        expect(w).toEqual(swishWindow(commits, depth, at));
        expect(w.history.map((c) => c.commit)).toContain(commits[at]!.commit);
        expect(w.history.length).toBe(Math.min(depth, length));
        // The chain is read only down to the end of the run.
        expect(consumed.n).toBe(Math.min(length, at + Math.max(depth - at, Math.ceil(depth / 2))));
      }),
    );
  });

  it('with includes: worked examples, a gap even when the included commit is within depth', async () => {
    const commits = chain(20);
    const ids = async (depth: number, at: number) => {
      const w = await historyWindow(walk(commits, { n: 0 }), { depth, includes: commits[at]!.commit });
      return { at: w.history.map((c) => commits.indexOf(c)), skipped: w.skipped };
    };
    expect(await ids(5, 10)).toEqual({ at: [0, 1, 10, 11, 12], skipped: 8 });
    expect(await ids(6, 4)).toEqual({ at: [0, 1, 2, 4, 5, 6], skipped: 1 });
    expect(await ids(6, 3)).toEqual({ at: [0, 1, 2, 3, 4, 5], skipped: 0 });
    expect(await ids(5, 19)).toEqual({ at: [0, 1, 2, 3, 19], skipped: 15 });
    expect(await ids(1, 7)).toEqual({ at: [7], skipped: 7 });
    expect(await ids(4, 0)).toEqual({ at: [0, 1, 2, 3], skipped: 0 });
  });

  it('an includes that is not in the chain: the newest window, the rest counted as skipped, then a run read from it', async () => {
    const commits = chain(8);
    const missing = 'f'.repeat(40);
    expect(await historyWindow(walk(commits, { n: 0 }), { depth: 3, includes: missing })).toEqual({ history: commits.slice(0, 3), skipped: 5 });
    const other = chain(4).map((c) => ({ ...c, commit: `e${c.commit.slice(1)}`, name: 'b.pl' }));
    const from = (hash: string) => walk(other.slice(other.findIndex((c) => c.commit === hash)), { n: 0 });
    expect(await historyWindow(walk(commits, { n: 0 }), { depth: 5, includes: other[1]!.commit }, from))
      .toEqual({ history: [...commits.slice(0, 2), ...other.slice(1, 4)], skipped: 6 });
    // The run read from it holds max(depth - chain length, ceil(depth / 2)) commits, however long its chain.
    const long = chain(12).map((c) => ({ ...c, commit: `d${c.commit.slice(1)}`, name: 'c.pl' }));
    const fromLong = (hash: string) => walk(long.slice(long.findIndex((c) => c.commit === hash)), { n: 0 });
    expect(await historyWindow(walk(commits, { n: 0 }), { depth: 5, includes: long[0]!.commit }, fromLong))
      .toEqual({ history: [...commits.slice(0, 2), ...long.slice(0, 3)], skipped: 6 });
    expect(await historyWindow(walk(commits.slice(0, 2), { n: 0 }), { depth: 6, includes: long[0]!.commit }, fromLong))
      .toEqual({ history: [...commits.slice(0, 2), ...long.slice(0, 4)], skipped: 0 });
    // A chain shorter than the depth leaves room for more of the other run.
    expect(await historyWindow(walk(commits.slice(0, 2), { n: 0 }), { depth: 6, includes: other[0]!.commit }, from))
      .toEqual({ history: [...commits.slice(0, 2), ...other], skipped: 0 });
  });

  it('Store.history finds includes deep in a long history', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const hashes = [(await store.create('long.pl', 'v0')).commit];
      for (let i = 1; i < 300; i++) hashes.push((await store.update('long.pl', `v${i}`, { previous: hashes[i - 1]! })).commit);
      const newestFirst = [...hashes].reverse();
      const w = await store.history('long.pl', { depth: 10, includes: hashes[3] });
      const at = newestFirst.indexOf(hashes[3]!);
      expect(at).toBe(296);
      expect(w.skipped).toBe(290);
      expect(w.history.map((c) => c.commit)).toEqual([...newestFirst.slice(0, 6), ...newestFirst.slice(296, 300)]);
      expect(w.history.at(-1)!.previous).toBeUndefined();
      // A hash the store lacks: nothing to read a run from, so the newest window.
      expect(await store.history('long.pl', { depth: 3, includes: 'a'.repeat(40) })).toEqual({ history: (await store.history('long.pl', { depth: 3 })).history, skipped: 297 });
      for (const depth of [NaN, -1, 2.5, Infinity, '3' as unknown as number]) {
        await expect(store.history('long.pl', { depth })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      expect((await store.history('long.pl', { depth: 0 })).history).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
