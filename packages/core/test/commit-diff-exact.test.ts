import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_DIFF_LIMITS, boundedLineDiff, boundedPatch, diffVersions, diffVersionsAsync, tooLargeNote, type Commit,
} from '@gitty/core';

const encode = (text: string) => new TextEncoder().encode(text);

function side(hash: string, data: string | Uint8Array, tags?: unknown): { commit: Commit; data: Uint8Array } {
  const commit = { commit: hash.padEnd(40, '0'), name: 'f.pl', data: 'd'.repeat(40), time: 1 } as Commit;
  if (tags !== undefined) commit.tags = tags as string[];
  return { commit, data: typeof data === 'string' ? encode(data) : data };
}

const RULE = '===================================================================\n';

/**
 * jsdiff reads `Date.now()` once to set its deadline and once before each edit-length step,
 * so a clock that moves `step` ms per read makes its timeouts deterministic: a diff needing
 * k steps finishes within a timeout of about k·step ms. `freeze()` stops the clock.
 */
function steppingClock(step: number): { freeze: () => void } {
  let now = 1_000_000;
  let by = step;
  vi.spyOn(Date, 'now').mockImplementation(() => (now += by));
  return { freeze: () => { by = 0; } };
}

afterEach(() => {
  vi.restoreAllMocks();
});

// With the clock moving 20 ms per read: one changed line (2 edit steps) needs a timeout of
// 40 ms, two lines (4 steps) 80 ms, three lines 120 ms, four lines 160 ms.
const ONE = ['a\n', 'b\n'] as const;
const TWO = ['a\nb\n', 'x\ny\n'] as const;
const THREE = ['a\nb\nc\n', 'x\ny\nz\n'] as const;
const FOUR = ['a\nb\nc\nd\n', 'w\nx\ny\nz\n'] as const;

describe('diffVersions: exact results', () => {
  it('a text change: the whole unified diff with three lines of context and the labels of both versions', () => {
    const from = side('aa11', '1\n2\n3\n4\n5\n6\n7\n8\n9\n', ['t']);
    const to = side('bb22', '1\n2\n3\n4\nX\n6\n7\n8\n9\n', ['t']);
    expect(diffVersions(from, to)).toEqual({
      from: from.commit,
      to: to.commit,
      tags: { added: [], deleted: [] },
      data: `${RULE}--- f.pl@aa11000000\n+++ f.pl@bb22000000\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n`,
    });
  });

  it('a first version diffs against /dev/null', () => {
    const to = side('cc', 'x\n');
    expect(diffVersions(null, to)).toEqual({
      from: null,
      to: to.commit,
      tags: { added: [], deleted: [] },
      data: `${RULE}--- /dev/null\n+++ f.pl@cc00000000\n@@ -0,0 +1,1 @@\n+x\n`,
    });
  });

  it('equal texts: empty data and nothing else set', () => {
    const from = side('aa', 'same\n', ['a']);
    const to = side('bb', 'same\n', ['b']);
    expect(diffVersions(from, to)).toEqual({ from: from.commit, to: to.commit, tags: { added: ['b'], deleted: ['a'] }, data: '' });
  });

  it('binary versions: the exact note, for either side and for a first version', () => {
    const text = side('aa', 'text');
    const binary = side('bb', new Uint8Array([0xff, 0x00]));
    const expected = (from: Commit | null, to: Commit, data: string) => ({ from, to, tags: { added: [], deleted: [] }, data, binary: true });
    expect(diffVersions(text, binary)).toEqual(expected(text.commit, binary.commit, `Binary versions ${'aa'.padEnd(40, '0')} and ${'bb'.padEnd(40, '0')} differ\n`));
    expect(diffVersions(binary, text)).toEqual(expected(binary.commit, text.commit, `Binary versions ${'bb'.padEnd(40, '0')} and ${'aa'.padEnd(40, '0')} differ\n`));
    expect(diffVersions(null, binary)).toEqual(expected(null, binary.commit, `Binary versions (none) and ${'bb'.padEnd(40, '0')} differ\n`));
  });

  it('binary versions compare every byte and the length', () => {
    const same = diffVersions(side('aa', new Uint8Array([0xff, 1, 2])), side('bb', new Uint8Array([0xff, 1, 2])));
    expect(same.data).toBe('');
    expect(same.binary).toBe(true);
    // One is a prefix of the other: same bytes as far as the shorter goes, but they differ.
    expect(diffVersions(side('aa', new Uint8Array([0xff])), side('bb', new Uint8Array([0xff, 1]))).data).toMatch(/^Binary versions .* differ\n$/);
    expect(diffVersions(side('aa', new Uint8Array([0xff, 1])), side('bb', new Uint8Array([0xff]))).data).toMatch(/^Binary versions .* differ\n$/);
    // Only the last byte differs.
    expect(diffVersions(side('aa', new Uint8Array([0xff, 1, 2])), side('bb', new Uint8Array([0xff, 1, 3]))).data).toMatch(/^Binary versions .* differ\n$/);
    // A first version with no bytes that are text is empty text, not binary.
    expect(diffVersions(null, side('bb', new Uint8Array(0)))).toEqual({ from: null, to: expect.anything(), tags: { added: [], deleted: [] }, data: '' });
  });

  it('tags: sorted by code point, a prefix before its extensions, equal first characters decided later', () => {
    const d = diffVersions(side('aa', 'x'), side('bb', 'x', ['abd', 'ab', 'abc', 'a', 'b😀', 'b']));
    expect(d.tags).toEqual({ added: ['a', 'ab', 'abc', 'abd', 'b', 'b😀'], deleted: [] });
    const reversed = diffVersions(side('aa', 'x', ['b', 'b😀', 'abd', 'abc', 'ab', 'a']), side('bb', 'x'));
    expect(reversed.tags).toEqual({ added: [], deleted: ['a', 'ab', 'abc', 'abd', 'b', 'b😀'] });
  });

  it('tags that are not an array count as none', () => {
    const d = diffVersions(side('aa', 'x', 'a'), side('bb', 'x', { 0: 'b', length: 1 }));
    expect(d.tags).toEqual({ added: [], deleted: [] });
  });
});

describe('diff limits', () => {
  it('the defaults', () => {
    expect(DEFAULT_DIFF_LIMITS).toEqual({ maxEditLength: 20_000, timeoutMs: 3_000 });
  });

  it('maxEditLength: beyond it, the exact "files differ" note and tooLarge (sync and async)', async () => {
    const from = side('aa', 'a\nb\n');
    const to = side('bb', 'a\nc\n');
    const note = 'Files f.pl@aa00000000 and f.pl@bb00000000 differ, 2 → 2 lines (too different to show a line diff)\n';
    const expected = { from: from.commit, to: to.commit, tags: { added: [], deleted: [] }, data: note, tooLarge: true };
    expect(diffVersions(from, to, { maxEditLength: 1 })).toEqual(expected);
    expect(await diffVersionsAsync(from, to, { maxEditLength: 1 })).toEqual(expected);
    const patch = `${RULE}--- f.pl@aa00000000\n+++ f.pl@bb00000000\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n`;
    expect(diffVersions(from, to, { maxEditLength: 2 })).toEqual({ ...expected, data: patch, tooLarge: undefined });
    expect(await diffVersionsAsync(from, to, { maxEditLength: 2 })).toEqual({ ...expected, data: patch, tooLarge: undefined });
    expect('tooLarge' in (await diffVersionsAsync(from, to))).toBe(false);
  });

  it('async: equal texts and binary versions need no line diff', async () => {
    const a = side('aa', 'same');
    expect(await diffVersionsAsync(a, side('bb', 'same'))).toEqual({ from: a.commit, to: expect.anything(), tags: { added: [], deleted: [] }, data: '' });
    const bin = await diffVersionsAsync(null, side('bb', new Uint8Array([0xfe])));
    expect(bin).toEqual({ from: null, to: expect.anything(), tags: { added: [], deleted: [] }, data: `Binary versions (none) and ${'bb'.padEnd(40, '0')} differ\n`, binary: true });
  });

  it('sync: the timeout is applied', () => {
    steppingClock(20);
    expect(diffVersions(side('aa', ONE[0]), side('bb', ONE[1]), { timeoutMs: 30 }).tooLarge).toBe(true);
    expect(diffVersions(side('aa', THREE[0]), side('bb', THREE[1]), { timeoutMs: 10_000 }).data).toBe(
      `${RULE}--- f.pl@aa00000000\n+++ f.pl@bb00000000\n@@ -1,3 +1,3 @@\n-a\n-b\n-c\n+x\n+y\n+z\n`,
    );
  });

  it('async: a diff beyond the 50 ms synchronous attempt continues asynchronously', async () => {
    steppingClock(20);
    const d = await diffVersionsAsync(side('aa', THREE[0]), side('bb', THREE[1]), { timeoutMs: 10_000 });
    expect(d.tooLarge).toBeUndefined();
    expect(d.data).toBe(`${RULE}--- f.pl@aa00000000\n+++ f.pl@bb00000000\n@@ -1,3 +1,3 @@\n-a\n-b\n-c\n+x\n+y\n+z\n`);
  });

  it('async: a timeout under 50 ms bounds the synchronous attempt itself', async () => {
    steppingClock(20);
    // 30 ms: one step, not the two a one-line change needs (50 ms would have been enough).
    const d = await diffVersionsAsync(side('aa', ONE[0]), side('bb', ONE[1]), { timeoutMs: 30 });
    expect(d.tooLarge).toBe(true);
    expect(d.data).toBe('Files f.pl@aa00000000 and f.pl@bb00000000 differ, 1 → 1 lines (too different to show a line diff)\n');
  });

  it('async: a diff the synchronous attempt finished is not run again', async () => {
    steppingClock(20);
    // 60 ms: the synchronous 50 finish a one-line change (40); a second, asynchronous attempt
    // would get only the 10 left and give up.
    const d = await diffVersionsAsync(side('aa', ONE[0]), side('bb', ONE[1]), { timeoutMs: 60 });
    expect(d.tooLarge).toBeUndefined();
    expect(d.data).toBe(`${RULE}--- f.pl@aa00000000\n+++ f.pl@bb00000000\n@@ -1,1 +1,1 @@\n-a\n+b\n`);
  });

  it('async: a timeout of exactly 50 ms gets no asynchronous attempt', async () => {
    const clock = steppingClock(20);
    const pending = diffVersionsAsync(side('aa', TWO[0]), side('bb', TWO[1]), { timeoutMs: 50 });
    // From now on the clock stands still: an asynchronous attempt, even with a 0 ms timeout,
    // would finish.
    clock.freeze();
    expect((await pending).tooLarge).toBe(true);
  });

  it('async: the asynchronous attempt gets what remains of the timeout after the synchronous one', async () => {
    steppingClock(20);
    // 200 ms: 50 synchronous, 150 asynchronous; a four-line change needs 160.
    const d = await diffVersionsAsync(side('aa', FOUR[0]), side('bb', FOUR[1]), { timeoutMs: 200 });
    expect(d.tooLarge).toBe(true);
  });

  it('boundedLineDiff and boundedPatch: exact results within the limits, undefined beyond', async () => {
    expect(await boundedLineDiff('a\nb\n', 'a\nc\n')).toEqual([
      { value: 'a\n', count: 1, added: false, removed: false },
      { value: 'b\n', count: 1, added: false, removed: true },
      { value: 'c\n', count: 1, added: true, removed: false },
    ]);
    expect(await boundedLineDiff('a\nb\n', 'a\nc\n', { maxEditLength: 1 })).toBeUndefined();
    expect(await boundedPatch('L', 'R', 'a\n', 'b\n')).toBe(`${RULE}--- L\n+++ R\n@@ -1,1 +1,1 @@\n-a\n+b\n`);
    expect(await boundedPatch('L', 'R', 'a\n', 'b\n', { maxEditLength: 1 })).toBeUndefined();
  });

  it('boundedLineDiff continues asynchronously past the synchronous budget', async () => {
    steppingClock(20);
    expect(await boundedLineDiff(THREE[0], THREE[1], { timeoutMs: 10_000 })).toEqual([
      { value: 'a\nb\nc\n', count: 3, added: false, removed: true },
      { value: 'x\ny\nz\n', count: 3, added: true, removed: false },
    ]);
  });
});

describe('tooLargeNote', () => {
  it('counts lines: none for empty text, a last line without a newline counts', () => {
    const count = (text: string) => /differ, (\d+) → /.exec(tooLargeNote('a', 'b', text, ''))![1];
    expect(tooLargeNote('A', 'B', '', '')).toBe('Files A and B differ, 0 → 0 lines (too different to show a line diff)\n');
    expect(count('x')).toBe('1');
    expect(count('x\n')).toBe('1');
    expect(count('\n')).toBe('1');
    expect(count('\n\n')).toBe('2');
    expect(count('x\ny')).toBe('2');
    expect(count('\nx\n\ny')).toBe('4');
    expect(tooLargeNote('A', 'B', 'x\n', 'x\ny\nz')).toBe('Files A and B differ, 1 → 3 lines (too different to show a line diff)\n');
  });
});
