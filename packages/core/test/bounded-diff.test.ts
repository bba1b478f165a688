import { describe, expect, it } from 'vitest';
import { assertMetaTypes, commitDisplay, diffVersionsAsync, openStore, type Commit } from '@gitty/core';

function text(lines: number, side: string): string {
  let out = '';
  for (let i = 0; i < lines; i++) out += `${side} ${i}\n`;
  return out;
}

const side = (hash: string, data: string) => ({
  commit: { commit: hash.repeat(40).slice(0, 40), name: 'f', data: '0'.repeat(40), time: 1 } as Commit,
  data: new TextEncoder().encode(data),
});

describe('bounded diffs (issue 15, item 2)', () => {
  it('gives "files differ, N → M lines" for texts too different to diff, without blocking the event loop for long', async () => {
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    const diff = await diffVersionsAsync(side('a', text(26_000, 'a')), side('b', text(25_000, 'b')), { timeoutMs: 1_000 });
    clearInterval(ticker);
    expect(diff.tooLarge).toBe(true);
    expect(diff.data).toMatch(/^Files f@aaaaaaaaaa and f@bbbbbbbbbb differ, 26000 → 25000 lines/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(longestGap).toBeLessThan(1_000);
  });

  it('diffs ordinary edits exactly, and store.diff is bounded too', async () => {
    const base = text(5_000, 'x');
    const diff = await diffVersionsAsync(side('a', base), side('b', base.replace('x 10\n', 'y 10\n')));
    expect(diff.tooLarge).toBeUndefined();
    expect(diff.data).toMatch(/-x 10\n\+y 10\n/);
    const store = await openStore({ driver: 'memory' });
    const v1 = await store.create('big', text(3_000, 'a'));
    const v2 = await store.update('big', text(3_000, 'b'), { previous: v1.commit });
    const capped = await store.diff(v1.commit, v2.commit, { maxEditLength: 100 });
    expect(capped).toMatchObject({ tooLarge: true });
    expect(capped.data).toMatch(/differ, 3000 → 3000 lines/);
    await store.close();
  });
});

describe('metadata types (issue 15, item 1)', () => {
  it('refuses wrongly typed documented keys and accepts any JSON elsewhere', async () => {
    for (const bad of [{ tags: 'x' }, { tags: [1] }, { author: 1 }, { commit_message: {} }, { time: 'now' }, { time: Number.NaN }]) {
      expect(() => assertMetaTypes(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => assertMetaTypes({ tags: ['a'], author: 'x', commit_message: '', time: 1.5, other: { any: [null, 1] } })).not.toThrow();
    const store = await openStore({ driver: 'memory' });
    await expect(store.create('f', 'x', { tags: 'notarray' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    let objects = 0;
    for await (const _ of store.driver.objects()) objects++;
    expect(objects).toBe(0);
    await store.close();
  });

  it('normalises any stored JSON for display', () => {
    const commit = { commit: 'c', name: 'n', data: 'd', time: 2, author: { a: 1 }, tags: 'one', commit_message: 1 } as unknown as Commit;
    expect(commitDisplay(commit)).toEqual({ author: '{"a":1}', message: '1', tags: ['one'], time: 2 });
    expect(commitDisplay({ ...commit, tags: [1, 'x', null] } as unknown as Commit).tags).toEqual(['1', 'x', '']);
    expect(commitDisplay({ ...commit, author: { n: 2n ** 70n } } as unknown as Commit).author).toBe('{"n":"1180591620717411303424"}');
  });
});
