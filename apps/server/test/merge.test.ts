import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeThreeWay } from '../src/merge.js';

describe('three-way merge of conflicting saves', () => {
  const base = 'a\nb\nc\nd\ne\n';

  it('merges changes to different lines', () => {
    expect(mergeThreeWay(base, 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n')).toBe('A\nb\nc\nd\nE\n');
    expect(mergeThreeWay(base, 'a\nb\nc\nd\ne\nf\n', 'z\na\nb\nc\nd\ne\n')).toBe('z\na\nb\nc\nd\ne\nf\n');
  });

  it('takes an identical change once', () => {
    expect(mergeThreeWay(base, 'a\nB\nc\nd\ne\n', 'a\nB\nc\nd\nE\n')).toBe('a\nB\nc\nd\nE\n');
  });

  it('refuses changes to the same or adjacent lines', () => {
    expect(mergeThreeWay(base, 'a\nX\nc\nd\ne\n', 'a\nY\nc\nd\ne\n')).toBeUndefined();
    expect(mergeThreeWay(base, 'a\nX\nc\nd\ne\n', 'a\nb\nY\nd\ne\n')).toBeUndefined();
    expect(mergeThreeWay(base, 'a\nb\nc\nd\ne\nX\n', 'a\nb\nc\nd\ne\nY\n')).toBeUndefined();
  });

  it('keeps both sides\' lines: merging with an unchanged side gives the other side', () => {
    const line = fc.constantFrom('a\n', 'b\n', 'c\n', 'x\n', '\n');
    const text = fc.array(line, { maxLength: 12 }).map((l) => l.join(''));
    fc.assert(fc.property(text, text, (b, other) => {
      expect(mergeThreeWay(b, other, b)).toBe(other);
      expect(mergeThreeWay(b, b, other)).toBe(other);
    }));
  });
});
