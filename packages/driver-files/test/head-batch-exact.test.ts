import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { HeadLog, SharedHeads, pickTip, type HeadLogPort } from '@gitty/driver-files';
import { decideCasBatch } from '../src/head-batch.js';
import { updateHeadsTogether } from '../src/head-updates.js';

const h = (digit: string) => digit.repeat(40);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('decideCasBatch', () => {
  it('decides in order: each request sees the ones before it; no-ops need no line', () => {
    const heads = new Map([['a', h('1')]]);
    const decision = decideCasBatch([
      { name: 'a', expected: h('1'), next: h('2') },
      { name: 'a', expected: h('2'), next: h('3') },
      { name: 'a', expected: h('2'), next: h('4') },
      { name: 'b', expected: null, next: null },
      { name: 'b', expected: null, next: h('5') },
      { name: 'a', expected: h('3'), next: null },
      { name: 'a', expected: null, next: h('6') },
    ], (n) => heads.get(n) ?? null);
    expect(decision.changes).toEqual([
      { name: 'a', old: h('1'), new: h('2') },
      { name: 'a', old: h('2'), new: h('3') },
      { name: 'b', old: null, new: h('5') },
      { name: 'a', old: h('3'), new: null },
      { name: 'a', old: null, new: h('6') },
    ]);
    expect(decision.requestOf).toEqual([0, 1, 4, 5, 6]);
    expect(decision.outcomes[0]).toBeUndefined();
    expect(decision.outcomes[2]).toMatchObject({ ok: false, error: { code: 'NOT_AT_HEAD', fileName: 'a', head: h('3'), expected: h('2') } });
    expect(decision.outcomes[3]).toEqual({ ok: true, value: undefined });
    expect(decision.outcomes).toHaveLength(7);
  });
});

describe('updateHeadsTogether', () => {
  it('gives each change its outcome, the actual head for refused ones; other failures reject', async () => {
    const { dir, remove } = await tempDir('gitty-head-updates-');
    const log = new HeadLog(path.join(dir, 'ref', 'head'), { durability: 'none' });
    try {
      await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const heads = new SharedHeads(log, { pollInterval: 3_600_000, watchFile: false });
      expect(await updateHeadsTogether(heads, [
        { name: 'a.pl', old: h('1'), new: h('2') },
        { name: 'a.pl', old: h('1'), new: h('3') },
        { name: 'b.pl', old: null, new: h('4') },
      ])).toEqual([
        { name: 'a.pl', applied: true, head: h('2') },
        { name: 'a.pl', applied: false, head: h('2') },
        { name: 'b.pl', applied: true, head: h('4') },
      ]);
      await heads.close();
      // A log port whose appends fail (one by one, as SWISH's): the failure is thrown, not turned into an outcome.
      const failing: HeadLogPort = {
        file: log.file,
        readFrom: (from) => log.readFrom(from),
        withLock: (work) => log.withLock(work),
        create: (entries) => log.create(entries),
        append: () => Promise.reject(new Error('disk on fire')),
      };
      const broken = new SharedHeads(failing, { pollInterval: 3_600_000, watchFile: false });
      await expect(updateHeadsTogether(broken, [{ name: 'a.pl', old: h('2'), new: h('5') }])).rejects.toThrow('disk on fire');
      expect(await updateHeadsTogether(broken, [{ name: 'a.pl', old: h('9'), new: h('5') }])).toEqual([{ name: 'a.pl', applied: false, head: h('2') }]);
      await broken.close();
    } finally {
      log.close();
      await remove();
    }
  });
});

describe('pickTip tie-breaks in every order', () => {
  it('among tips the newest time wins even when its hash is the smallest; equal times go to the greatest hash', () => {
    const tips = [
      { hash: h('9'), time: 1, previous: undefined },
      { hash: h('5'), time: 2, previous: undefined },
      { hash: h('1'), time: 3, previous: undefined },
    ];
    for (const order of permutations(tips)) expect(pickTip(order), order.map((t) => t.time).join()).toBe(h('1'));
    const tied = [
      { hash: h('2'), time: 7, previous: undefined },
      { hash: h('8'), time: 7, previous: undefined },
      { hash: h('4'), time: 7, previous: undefined },
      { hash: h('a'), time: 6, previous: undefined },
    ];
    for (const order of permutations(tied)) expect(pickTip(order), order.map((t) => t.hash[0]).join()).toBe(h('8'));
    // A commit named as another's previous is never the tip, whatever its time.
    const chain = [
      { hash: h('1'), time: 9, previous: undefined },
      { hash: h('2'), time: 1, previous: h('1') },
    ];
    for (const order of permutations(chain)) expect(pickTip(order)).toBe(h('2'));
  });
});
