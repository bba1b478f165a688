import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeThreeWay } from '../src/merge.js';

describe('three-way merge of conflicting saves', () => {
  const base = 'a\nb\nc\nd\ne\n';

  it('merges changes to different lines', async () => {
    expect(await mergeThreeWay(base, 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n')).toBe('A\nb\nc\nd\nE\n');
    expect(await mergeThreeWay(base, 'a\nb\nc\nd\ne\nf\n', 'z\na\nb\nc\nd\ne\n')).toBe('z\na\nb\nc\nd\ne\nf\n');
  });

  it('takes an identical change once', async () => {
    expect(await mergeThreeWay(base, 'a\nB\nc\nd\ne\n', 'a\nB\nc\nd\nE\n')).toBe('a\nB\nc\nd\nE\n');
  });

  it('refuses changes to the same or adjacent lines', async () => {
    expect(await mergeThreeWay(base, 'a\nX\nc\nd\ne\n', 'a\nY\nc\nd\ne\n')).toBeUndefined();
    expect(await mergeThreeWay(base, 'a\nX\nc\nd\ne\n', 'a\nb\nY\nd\ne\n')).toBeUndefined();
    expect(await mergeThreeWay(base, 'a\nb\nc\nd\ne\nX\n', 'a\nb\nc\nd\ne\nY\n')).toBeUndefined();
  });

  it('keeps both sides\' lines: merging with an unchanged side gives the other side', async () => {
    const line = fc.constantFrom('a\n', 'b\n', 'c\n', 'x\n', '\n');
    const text = fc.array(line, { maxLength: 12 }).map((l) => l.join(''));
    await fc.assert(fc.asyncProperty(text, text, async (b, other) => {
      expect(await mergeThreeWay(b, other, b)).toBe(other);
      expect(await mergeThreeWay(b, b, other)).toBe(other);
    }));
  });

  it('gives no merge when a side is beyond the diff limits', async () => {
    expect(await mergeThreeWay('a\nb\nc\n', 'x\ny\nz\n', 'a\nb\nC\n', { maxEditLength: 2 })).toBeUndefined();
  });
});
