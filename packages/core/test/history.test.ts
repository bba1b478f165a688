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

  it('with includes: the window holds it with floor(depth/2) newer commits, or is the newest window', () => {
    return fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 12 }), fc.nat(), async (length, depth, pick) => {
        const commits = chain(length);
        const at = pick % length;
        const w = await historyWindow(walk(commits, { n: 0 }), { depth, includes: commits[at]!.commit });
        expect(w.history.map((c) => c.commit)).toContain(commits[at]!.commit);
        if (at < depth) {
          expect(w).toEqual({ history: commits.slice(0, depth), skipped: 0 });
        } else {
          const start = at - Math.floor(depth / 2);
          expect(w).toEqual({ history: commits.slice(start, start + depth), skipped: start });
        }
      }),
    );
  });

  it('an includes that is not in the chain gives the newest window', async () => {
    const commits = chain(8);
    expect(await historyWindow(walk(commits, { n: 0 }), { depth: 3, includes: 'f'.repeat(40) })).toEqual({ history: commits.slice(0, 3), skipped: 0 });
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
      expect(w.skipped).toBe(291);
      expect(w.history.map((c) => c.commit)).toEqual(newestFirst.slice(291, 301));
      expect(w.history.at(-1)!.previous).toBeUndefined();
      for (const depth of [NaN, -1, 2.5, Infinity, '3' as unknown as number]) {
        await expect(store.history('long.pl', { depth })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      expect((await store.history('long.pl', { depth: 0 })).history).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
