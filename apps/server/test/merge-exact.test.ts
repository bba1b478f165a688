import { describe, expect, it } from 'vitest';
import { mergeThreeWay } from '../src/merge.js';

// Edge cases of the three-way merge the property test does not pin: texts without a final
// newline, changes that share a start or an end, pure insertions and deletions.

const base = 'a\nb\nc\nd\ne\nf\ng\n';

describe('mergeThreeWay edges', () => {
  it('keeps a last line without a newline, and lines of several characters', async () => {
    expect(await mergeThreeWay('aa\nbb\ncc\ndd\nee', 'AA\nbb\ncc\ndd\nee', 'aa\nbb\ncc\ndd\nEE')).toBe('AA\nbb\ncc\ndd\nEE');
    expect(await mergeThreeWay('one\ntwo\nthree\nfour\nfive', 'ONE\ntwo\nthree\nfour\nfive', 'one\ntwo\nthree\nfour\nfive')).toBe('ONE\ntwo\nthree\nfour\nfive');
  });

  it('refuses changes that end at the same line but start apart', async () => {
    // yours replaces b..c with X, theirs replaces c with X: overlapping, not identical.
    expect(await mergeThreeWay(base, 'a\nb\nX\nd\ne\nf\ng\n', 'a\nX\nd\ne\nf\ng\n')).toBeUndefined();
  });

  it('refuses changes that start at the same line but end apart', async () => {
    expect(await mergeThreeWay(base, 'a\nX\nc\nd\ne\nf\ng\n', 'a\nX\nd\ne\nf\ng\n')).toBeUndefined();
  });

  it('merges an insertion with a change far from it', async () => {
    expect(await mergeThreeWay(base, 'a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nNEW\nc\nd\ne\nf\ng\n')).toBe('a\nb\nNEW\nc\nd\ne\nf\ng\nh\n');
  });

  it('merges a deletion with a change far from it, in either order of sides', async () => {
    expect(await mergeThreeWay(base, 'a\nc\nd\ne\nf\ng\n', 'a\nb\nc\nd\ne\nf\nG\n')).toBe('a\nc\nd\ne\nf\nG\n');
    expect(await mergeThreeWay(base, 'a\nb\nc\nd\ne\nf\nG\n', 'a\nc\nd\ne\nf\ng\n')).toBe('a\nc\nd\ne\nf\nG\n');
  });

  it('takes an identical multi-line change once', async () => {
    expect(await mergeThreeWay(base, 'a\nX\nY\nd\ne\nf\ng\n', 'a\nX\nY\nd\ne\nf\nG\n')).toBe('a\nX\nY\nd\ne\nf\nG\n');
  });
});

describe('mergeThreeWay: survivors of the mutation run', () => {
  it('refuses changes on adjacent lines, in either order', async () => {
    // yours changes b (line 1), theirs changes c (line 2): they touch, so no merge.
    expect(await mergeThreeWay(base, 'a\nb\nC\nd\ne\nf\ng\n', 'a\nB\nc\nd\ne\nf\ng\n')).toBeUndefined();
    expect(await mergeThreeWay(base, 'a\nB\nc\nd\ne\nf\ng\n', 'a\nb\nC\nd\ne\nf\ng\n')).toBeUndefined();
  });

  it('counts each empty line as a line of its own', async () => {
    expect(await mergeThreeWay('a\n\nb\n', 'A\n\nb\n', 'a\n\nB\n')).toBe('A\n\nB\n');
  });

  it('merges into an empty base', async () => {
    expect(await mergeThreeWay('', 'a\n', '')).toBe('a\n');
  });

  it('refuses a replacement against a deletion of the same line', async () => {
    expect(await mergeThreeWay(base, 'a\nc\nd\ne\nf\ng\n', 'a\nB\nc\nd\ne\nf\ng\n')).toBeUndefined();
  });

  it('gives up when one side alone is beyond the limits', async () => {
    const big = Array.from({ length: 50 }, (_, i) => `x${i}\n`).join('');
    expect(await mergeThreeWay(base, big, 'a\nB\nc\nd\ne\nf\ng\n', { maxEditLength: 10 })).toBeUndefined();
    expect(await mergeThreeWay(base, 'a\nB\nc\nd\ne\nf\ng\n', big, { maxEditLength: 10 })).toBeUndefined();
  });
});
